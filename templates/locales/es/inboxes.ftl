# Administración: bandejas de entrada (la lista, el formulario de nueva bandeja, la
# página de una bandeja), los ajustes de sus canales, «Probar conexión» y el estado
# de la consulta del correo.

inboxes-lead = Cada bandeja de entrada es un canal conectado. Los agentes ven las conversaciones de las bandejas de entrada de las que son miembros.
inboxes-none = Aún no hay bandejas de entrada. Crea la primera aquí abajo.
inboxes-col-inbox = Bandeja de entrada
inboxes-col-channel = Canal
inboxes-col-members = Miembros
inboxes-new = Nueva bandeja de entrada
inboxes-name-placeholder = p. ej., Soporte
inboxes-webhook-url = URL del webhook
inboxes-optional-api = (opcional, bandejas de API)
inboxes-optional = (opcional)
inboxes-create = Crear bandeja de entrada
inboxes-save = Guardar bandeja de entrada
inboxes-copy = Copiar
inboxes-channel-only = (solo para el canal { $channel })
inboxes-passwords-again = Las contraseñas que escribiste no se muestran de nuevo: vuelve a escribirlas antes de guardar.

## La página de una bandeja de entrada

inboxes-token-title = El token secreto de la bandeja de entrada.
inboxes-token-text = Cópialo ahora: no se volverá a mostrar. Charla firma los webhooks con él, y tu integración lo envía en esta cabecera:
inboxes-connect = Conectar { $channel }
inboxes-paste-webhook = Pega esta URL de webhook en la consola del proveedor:
inboxes-insecure = Esta dirección es http sin cifrar: este proveedor solo llama a direcciones https:// públicas. Pon en server.public_url de la configuración la dirección https de este sitio y vuelve a guardar la bandeja de entrada.
inboxes-no-webhook = No hace falta webhook: Charla consulta Telegram.
inboxes-webhook-hint = Las respuestas de los agentes se envían aquí por POST en JSON, firmadas con el HMAC-SHA256 del cuerpo con el token de la bandeja, en esta cabecera:
inboxes-snippet-title = Añade el chat a tu sitio
inboxes-snippet-text = Pega esta línea en todas las páginas, justo antes de la etiqueta de cierre </body>:
inboxes-snippet-hint = Los visitantes conservan su historial en el mismo dispositivo. A los visitantes sin conexión que dejaron un correo se les puede responder por correo. La página debe estar en uno de los sitios permitidos de arriba.
inboxes-poller = Consulta del correo
inboxes-last-success = Última consulta correcta
inboxes-not-yet = todavía ninguna desde que se inició Charla
inboxes-last-error = Último error
inboxes-error-resolved = desde entonces las consultas han funcionado
inboxes-no-error = ninguno desde que se inició Charla
inboxes-fetched = Mensajes recibidos
inboxes-fetched-note = desde que se inició Charla. Se cuenta en memoria: vuelve a 0 cuando Charla se reinicia.
inboxes-cursor = Posición en la carpeta
inboxes-cursor-text = UIDVALIDITY { $validity }, UID más alto guardado { $uid }
inboxes-cursor-none = aún no hay correo guardado de { $folder }
inboxes-interval = Intervalo
inboxes-every = cada { $seconds } s
inboxes-backoff = (tras un fallo espera más, hasta 30 minutos)
inboxes-integration = Integración
inboxes-post-to = Envía los mensajes de los clientes a:
inboxes-body = Cuerpo:
inboxes-statuses = Los estados de entrega van a
inboxes-api-description = Consulta la descripción de la API.
inboxes-rotate = Renovar el token
inboxes-rotate-confirm = ¿Reemplazar el token? El actual deja de funcionar al momento.
inboxes-delete = Eliminar la bandeja de entrada
inboxes-delete-confirm = ¿Eliminar la bandeja de entrada { $name }?

## Ajustes de correo

inboxes-email-settings = Ajustes de correo
inboxes-incoming = Correo entrante
inboxes-outgoing = Correo saliente
inboxes-host = Servidor
inboxes-port = Puerto
inboxes-security = Seguridad
inboxes-security-none = Ninguna (texto sin cifrar)
inboxes-username = Usuario
inboxes-stored-keep = Guardada; déjala vacía para conservarla.
inboxes-folder = Carpeta
inboxes-smtp-no-auth = Vacío: enviar sin AUTH.
inboxes-from-name = Nombre del remitente
inboxes-from-name-placeholder = Soporte de Acme
inboxes-from-address = Dirección del remitente
inboxes-poll-interval = Intervalo de consulta
inboxes-poll-hint = Segundos, de 10 a 3600.
inboxes-mark-seen = Marcar el correo recibido como leído en el servidor
inboxes-mark-seen-hint = Desactivado: Charla nunca cambia el buzón.
inboxes-plus = Reply-To con subdirección (+)
inboxes-plus-hint = Las respuestas llevan Reply-To: local+<conversación>@dominio, así que las contestaciones encuentran su conversación aunque el programa de correo pierda las cabeceras de hilo. Tu servidor de correo debe entregar las subdirecciones con + en este buzón.

## Ajustes del chat web

inboxes-allowed-sites = Sitios permitidos
inboxes-one-per-line = (un origen por línea)
inboxes-origins-hint = Solo las páginas de estos orígenes (esquema, servidor y puerto) pueden cargar el chat. Cualquier otra recibe un 403.
inboxes-greeting = Saludo
inboxes-colour = Color
inboxes-prechat = Pedir nombre y correo antes
inboxes-prechat-off = No
inboxes-prechat-optional = Sí, correo opcional
inboxes-prechat-required = Sí, correo obligatorio
inboxes-offline-email = Responder por correo a los visitantes sin conexión a través de
inboxes-offline-none = Sin correo (solo chat)
inboxes-identity = Secreto de verificación de identidad
inboxes-identity-note = (opcional, 16 caracteres o más)
inboxes-identity-stored = guardado; déjalo vacío para conservarlo
inboxes-identity-unset = sin definir
inboxes-identity-hint = Tu sitio firma el id de un cliente que ha iniciado sesión y llama a
inboxes-identity-hint-2 = donde hash es el HMAC-SHA256 en hexadecimal del identificador con este secreto. Un cliente verificado ve el mismo historial de chat en todos sus dispositivos.
inboxes-identity-off = Desactivar la verificación de identidad

## Ajustes de mensajería (WhatsApp, SMS, Messenger, Telegram)

inboxes-whatsapp-provider = Proveedor de WhatsApp
inboxes-cloud-api = WhatsApp Cloud API
inboxes-cloud-title = Cloud API
inboxes-cloud-hint = La API de Meta, para un número de tu cuenta de WhatsApp Business.
inboxes-twilio-whatsapp-hint = Un remitente de WhatsApp de tu cuenta de Twilio.
inboxes-advanced = Avanzado
inboxes-sms-twilio = SMS a través de Twilio
inboxes-human-agent = Responder hasta 7 días después (etiqueta HUMAN_AGENT)
inboxes-human-agent-hint = Messenger permite que una persona responda hasta 7 días después del último mensaje del cliente si tu aplicación tiene el permiso Human Agent de Meta. Desactivado: 24 horas.
inboxes-telegram-mode = Cómo llegan las novedades
inboxes-polling = Consulta periódica
inboxes-polling-hint = Charla pide a Telegram los mensajes nuevos. Funciona detrás de un cortafuegos; no hace falta una dirección pública.
inboxes-webhook = Webhook
inboxes-webhook-mode-hint = Telegram llama a Charla. Necesita una dirección https:// pública.
inboxes-secret-set = Definido: déjalo vacío para conservarlo.

## Campos, como etiquetas y en los rechazos

inboxes-f-email = Ajustes de correo
inboxes-f-imap-host = Servidor IMAP
inboxes-f-imap-port = Puerto IMAP
inboxes-f-imap-security = Seguridad IMAP
inboxes-f-imap-folder = Carpeta IMAP
inboxes-f-imap-password = Contraseña IMAP
inboxes-f-smtp-host = Servidor SMTP
inboxes-f-smtp-port = Puerto SMTP
inboxes-f-smtp-security = Seguridad SMTP
inboxes-f-smtp-password = Contraseña SMTP
inboxes-f-from-address = Dirección del remitente
inboxes-f-poll-seconds = Intervalo de consulta
inboxes-f-channel = Canal
inboxes-f-webhook-url = URL del webhook
inboxes-f-members = Miembros
inboxes-f-website = Ajustes del chat web
inboxes-f-allowed-origins = Sitios permitidos
inboxes-f-greeting = Saludo
inboxes-f-color = Color
inboxes-f-prechat = Pedir nombre y correo antes
inboxes-f-reply-email-inbox = Responder por correo a los visitantes sin conexión a través de
inboxes-f-identity-secret = Secreto de verificación de identidad
inboxes-f-whatsapp = Ajustes de WhatsApp
inboxes-f-sms = Ajustes de SMS
inboxes-f-messenger = Ajustes de Messenger
inboxes-f-telegram = Ajustes de Telegram
inboxes-f-whatsapp-provider = Proveedor de WhatsApp
inboxes-f-sms-provider = Proveedor de SMS
inboxes-f-telegram-mode = Cómo llegan las novedades
inboxes-f-phone-number-id = ID del número de teléfono
inboxes-f-access-token = Token de acceso
inboxes-f-app-secret = Clave secreta de la aplicación
inboxes-f-verify-token = Token de verificación
inboxes-f-account-sid = Account SID
inboxes-f-auth-token = Auth token
inboxes-f-whatsapp-sender = Remitente de WhatsApp
inboxes-f-api-base = URL base de la API
inboxes-f-sender = Remitente
inboxes-f-page-id = ID de la página
inboxes-f-page-access-token = Token de acceso de la página
inboxes-f-bot-token = Token del bot
inboxes-h-base = Para una pasarela propia o un servidor de pruebas. Vacío: el punto de acceso público del proveedor.
inboxes-h-sid = Consola de Twilio → Account info: AC seguido de 32 caracteres.
inboxes-h-verify = Una frase que tú eliges; escribe la misma en los ajustes de webhook de Meta.
inboxes-h-app-secret = Configuración de la aplicación → Básica, en el panel de aplicaciones de Meta. Demuestra que los webhooks vienen de Meta.
inboxes-h-phone-number-id = WhatsApp → Configuración de la API, en el panel de aplicaciones de Meta (el id, no el número).
inboxes-h-access-token = Un token de usuario del sistema con el permiso whatsapp_business_messaging.
inboxes-h-whatsapp-from = El número de tu remitente de WhatsApp en Twilio.
inboxes-h-sms-from = Un número de Twilio, un Messaging Service SID (MG…) o un remitente RCS (rcs:…).
inboxes-h-page-id = El id de tu página de Facebook (Página → Información → Transparencia de la página).
inboxes-h-page-access-token = Messenger → Configuración → Tokens de acceso, en el panel de aplicaciones de Meta.
inboxes-h-bot-token = El token que te dio @BotFather para el bot.

## Dónde va la URL de webhook de una bandeja de mensajería

inboxes-connect-cloud = Panel de aplicaciones de Meta → WhatsApp → Configuración → Webhook: pégala como URL de devolución de llamada, escribe el token de verificación que elegiste y suscríbete al campo messages.
inboxes-connect-twilio-whatsapp = Consola de Twilio → Messaging → Senders → WhatsApp senders → tu remitente: pégala como URL de webhook para los mensajes entrantes (HTTP POST).
inboxes-connect-twilio-sms = Consola de Twilio → Phone Numbers → Active numbers → tu número → Messaging: en «A message comes in», elige Webhook, pégala y usa HTTP POST.
inboxes-connect-messenger = Panel de aplicaciones de Meta → Messenger → Configuración → Webhooks: pégala como URL de devolución de llamada con el token de verificación que elegiste y suscribe tu página a messages, message_deliveries y message_reads.
inboxes-connect-telegram-webhook = No hay nada que pegar: Charla da esta dirección a Telegram (setWebhook) con un token secreto. Debe ser una dirección https:// pública.
inboxes-connect-telegram-poll = Charla pide a Telegram los mensajes nuevos por sí misma (consulta larga), así que funciona detrás de un cortafuegos o NAT.

## Probar conexión

inboxes-test = Probar conexión
inboxes-testing = Probando…
inboxes-testing-email = Probando… (hasta 15 s)
inboxes-msg-test-hint = Una petición inofensiva al proveedor con los valores de arriba (secretos vacíos: los guardados). No se guarda ni se envía nada.
inboxes-email-test-hint = Prueba los dos servidores con los valores de arriba.
inboxes-email-test-stored = Contraseñas vacías: las guardadas.
inboxes-nothing-saved = No se guarda ni se envía nada.
inboxes-connected = Conectado
inboxes-failed = Error
inboxes-failed-at = Error en: { $step }
inboxes-provider = Proveedor
inboxes-not-tested = No se ha probado. { $reason }
inboxes-step-ok = Correcto
inboxes-step-address = Dirección no permitida
inboxes-step-dns = Búsqueda DNS
inboxes-step-refused = Conexión rechazada
inboxes-step-connect = Conexión
inboxes-step-timeout = Tiempo de espera agotado
inboxes-step-tls = TLS
inboxes-step-authentication = Autenticación
inboxes-step-folder = Carpeta
inboxes-step-sender = Dirección del remitente
inboxes-step-protocol = Respuesta del servidor
