# Páginas de error, formularios rechazados y problemas al iniciar sesión.

error-status = Error { $status }
error-home = Ir a la página de inicio
error-not-found = Página no encontrada
error-forbidden = No permitido
error-too-many = Demasiados intentos
error-too-large = Demasiado grande
error-too-slow = Demasiado lento
error-internal = Algo ha fallado
error-bad-request = No ha funcionado
error-sign-in = Inicia sesión.
error-not-found-text = Aquí no hay nada. Puede que se haya movido o eliminado.
error-too-large-text = La petición supera el límite de { $bytes } bytes.
error-throttled = Demasiados intentos fallidos de inicio de sesión; vuelve a intentarlo en { $minutes ->
    [one] 1 minuto
   *[other] { $minutes } minutos
}.
error-timeout-text = La petición tardó más de { $seconds } s en llegar. Comprueba tu conexión y vuelve a intentarlo.
error-internal-text = Algo ha fallado por nuestra parte; ha quedado registrado.
# Texto técnico (el mensaje de un analizador), tal cual.
error-detail = { $detail }
error-not-allowed = No tienes permiso para hacer eso.
error-admins-only = Esta página es para administradores. Pide acceso a un administrador de tu espacio de trabajo si lo necesitas.
error-shared-contact = Este contacto también figura en bandejas de entrada de las que no eres miembro: solo un administrador, o un agente de todas ellas, puede cambiarlo o bloquearlo.
error-bad-credentials = Correo electrónico o contraseña incorrectos.
error-duplicate-email = Ya existe un agente con ese correo electrónico.
error-invite-invalid = Este enlace de invitación no es válido, ya se ha usado o ha caducado; pide uno nuevo a un administrador.
error-wrong-password = La contraseña actual no es correcta.
error-already-set-up = La configuración inicial ya está hecha.
error-content-too-long = El contenido supera los { $count } caracteres.
error-rate-limited = Demasiados mensajes; vuelve a intentarlo en { $seconds } s.
error-snooze-in-past = La posposición debe terminar en el futuro.
error-already-in-state = La conversación ya está { $status ->
    [open] abierta
    [closed] cerrada
    [snoozed] pospuesta
   *[other] { $status }
}.
error-cross-site = No se aceptan peticiones de otros sitios.
error-csrf-missing = Falta el código de seguridad del formulario. Vuelve a cargar la página e inténtalo de nuevo.
error-csrf-invalid = El código de seguridad del formulario no es válido (puede que la página sea antigua). Vuelve a cargar la página e inténtalo de nuevo.
error-form-unreadable = No se pudo leer el formulario: { $detail }
error-form-malformed = El formulario está mal formado: { $detail }
error-form-invalid = Formulario no válido: { $detail }

## Un valor rechazado: $field es el nombre del campo del formulario

field-label = { $field ->
    [name] nombre
    [email] correo electrónico
    [password] contraseña
    [new_password] nueva contraseña
    [current_password] contraseña actual
    [phone] teléfono
    [label] etiqueta
    [tags] etiquetas
    [content] mensaje
    [subject] asunto
    [to] destinatario
    [note] nota
    [language] idioma
    [timezone] zona horaria
    [inbox_id] bandeja de entrada
    [agent_id] agente
    [team_id] equipo
    [status] estado
    [snooze] posponer
    [until] hasta
    [title] título
    [shortcut] atajo
    [body] texto
    [category] categoría
    [fields] campos
    [template_id] plantilla
   *[other] { $field }
}
invalid-empty = { field-label }: no puede estar vacío
invalid-email = { field-label }: no es una dirección de correo electrónico válida
invalid-control = { field-label }: no puede contener caracteres de control
invalid-too-short = { field-label }: debe tener al menos { $count } caracteres
invalid-too-long = { field-label }: debe tener como máximo { $count } caracteres
invalid-other = { field-label }: { $reason }
error-bad-code = Ese código no es correcto o ya se usó. Espera al siguiente y vuelve a intentarlo.
error-two-factor-required = Tu espacio de trabajo exige la verificación en dos pasos, así que no se puede desactivar.
error-two-factor-self-first = Configura antes tu propia verificación en dos pasos (Perfil → Verificación en dos pasos), para no quedarte fuera.
error-two-factor-stale = Este formulario de configuración ya no es válido. Vuelve a abrir la página de verificación en dos pasos.
invalid-port-typed = { field-label }: debe ser un número de puerto de 1 a 65535, no «{ $value }»
invalid-seconds-typed = { field-label }: debe ser un número de segundos, no «{ $value }»
invalid-colour-typed = { field-label }: debe ser un color como #4f46e5, no «{ $value }»
invalid-security-typed = { field-label }: debe ser none, starttls o tls, no «{ $value }»
invalid-prechat-typed = { field-label }: debe ser off, optional o required, no «{ $value }»
invalid-channel-typed = { field-label }: tipo de canal desconocido, «{ $value }»
invalid-port = { field-label }: debe ser un número de puerto
invalid-required = { field-label }: es obligatorio
invalid-poll-range = { field-label }: debe estar entre 10 y 3600
invalid-url = { field-label }: debe ser una URL http:// o https://
invalid-host = { field-label }: debe ser un nombre de servidor como imap.example.com
invalid-email-settings = { field-label }: una bandeja de correo necesita sus ajustes IMAP y SMTP
invalid-messaging-settings = { field-label }: una bandeja de mensajería necesita los ajustes de su proveedor
invalid-test-settings = { field-label }: faltan los ajustes IMAP y SMTP que probar
invalid-email-inbox = { field-label }: debe ser una de las bandejas de correo
invalid-origins = { field-label }: 50 orígenes como máximo
invalid-token = { field-label }: no es un token válido
invalid-password-again = { field-label }: vuelve a escribir la contraseña: { $what ->
    [host] ha cambiado el servidor
    [port] ha cambiado el puerto
   *[other] han cambiado el servidor, el puerto, el usuario o la seguridad
}

## Rechazos de una acción (un conflicto, una ventana de mensajería cerrada)

error-channel-fixed = El tipo de canal de una bandeja de entrada no puede cambiar; crea una bandeja nueva.
error-only-email-settings = Solo las bandejas de correo tienen ajustes de correo.
error-only-website-settings = Solo las bandejas de chat web tienen ajustes de chat web.
error-only-messaging-settings = Solo las bandejas de mensajería tienen ajustes de proveedor.
error-only-api-token = Solo las bandejas de API tienen token.
error-no-reply-inbox = Esta bandeja de chat web no tiene una bandeja de correo por la que responder (mira sus ajustes).
error-no-transcript-inbox = Esta bandeja de chat web no tiene una bandeja de correo por la que enviar (mira sus ajustes).
error-email-answer-only = Solo las conversaciones de correo y de chat web se pueden responder por correo.
error-transcript-only = Las transcripciones se envían por correo: solo las tienen las conversaciones de correo y de chat web.
error-mail-without-address = Este correo llegó sin una dirección a la que responder (no hay From, Reply-To, Sender ni Return-Path utilizable).
error-no-email-address = Esta conversación no tiene una dirección de correo a la que responder.
error-unconfirmed-email = El visitante escribió esta dirección de correo y nadie la ha confirmado todavía: confírmala primero (puede que no sea suya).
error-nothing-to-confirm = Esta conversación no tiene una dirección de correo que confirmar.
error-website-cannot-start = Un chat web no puede iniciar una conversación: los visitantes escriben primero (usa una bandeja de correo o de SMS).
error-provider-unreadable = No se pueden leer los ajustes del proveedor de esta bandeja de entrada.
error-channel-cannot-start = Este canal no puede iniciar una conversación: el cliente escribe primero.
error-template-only = Este canal solo puede iniciar una conversación con una plantilla aprobada.
error-whatsapp-template-only = Una conversación nueva de WhatsApp solo puede empezar con una plantilla aprobada (las plantillas llegarán con el editor).
error-no-provider = Esta bandeja de entrada no tiene proveedor de mensajería.
error-no-channel-address = Esta conversación no tiene una dirección en este canal a la que responder.
error-contact-taken = Otro contacto ya tiene ese correo o teléfono.
error-own-admin-role = No puedes quitarte tu propio rol de administrador.
error-deactivate-self = No puedes desactivarte a ti mismo.
error-invite-inactive = Reactiva al agente antes de enviarle una invitación.
error-report-own = Los agentes solo ven sus propias cifras.
error-report-teams = Los informes por equipo son para administradores: las cifras de un equipo abarcan bandejas de entrada de las que quizá no seas miembro.
error-window-closed = La ventana de mensajería de { $hours } horas está cerrada: el cliente no ha escrito en las últimas { $hours } horas, así que solo se puede enviar una plantilla aprobada.
