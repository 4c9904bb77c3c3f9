# La bandeja de entrada: vistas, la lista de conversaciones, la conversación abierta, el editor.

inbox-conversations = Conversaciones
inbox-conversation = Conversación
inbox-search = Buscar conversaciones
inbox-views = Vistas
inbox-hello = Hola, { $name }
inbox-select = Elige una conversación para leerla y responder.
key-next = siguiente / anterior
key-reply = responder
key-note = nota privada
key-close = cerrar
key-assign = asignármela
key-search = buscar
live-connecting = Conectando…
live-open = En directo
live-reconnecting = Reconectando…

## Vistas y quién está conectado

view-mine = Mías
view-unassigned = Sin asignar
view-all = Todas abiertas
view-mentions = Menciones
view-snoozed = Pospuestas
view-closed = Cerradas
view-conversations = Conversaciones
views-teams = Equipos
list-results = Resultados de «{ $query }»
presence-team = Equipo
presence-online = (en línea)
presence-offline = (sin conexión)
presence-online-title = { $name }: en línea
presence-offline-title = { $name }: sin conexión

## La lista

list-empty = No hay conversaciones aquí.
list-no-match = Nada coincide con «{ $query }».
list-older = Anteriores
row-unassigned = Sin asignar
row-inbox-title = Bandeja de entrada de { $channel }
dot-online = En línea ahora
dot-online-title = En línea ahora: el visitante tiene el chat abierto
dot-missed = Perdida
dot-missed-title = Perdida: esperando una respuesta
dot-unread = No leída
dot-new = Nueva
status-open = abierta
status-snoozed = pospuesta
status-closed = cerrada
channel-api = API
channel-email = Correo electrónico
channel-website = Chat web
channel-whatsapp = WhatsApp
channel-sms = SMS
channel-messenger = Messenger
channel-telegram = Telegram

## Mensaje nuevo

compose-new = Redactar mensaje
compose-inbox = Bandeja de entrada
compose-to = Para (teléfono o correo electrónico)
compose-to-placeholder = +34 600 000 000 o ana@example.com
compose-subject = Asunto (solo correo electrónico)
compose-subject-placeholder = Sobre tu pedido
compose-submit = Iniciar conversación
compose-none = Ninguna de tus bandejas puede escribir a este tipo de dirección.
compose-choose-inbox = Elige una de tus bandejas de entrada.

## La conversación abierta

pane-contact = Contacto
presence-offline-chip = Desconectado
pane-snoozed-until = hasta { $time }
pane-transcript = Enviar transcripción
pane-transcript-title = Enviar por correo electrónico la conversación hasta ahora al contacto
pane-unread = Marcar como no leída
pane-unread-title = Marcar como no leída y volver a la lista
pane-snooze = Posponer
snooze-title = Posponer hasta…
snooze-one-hour = 1 hora
snooze-this-evening = Esta tarde
snooze-tomorrow = Mañana a las 09:00
snooze-next-week = La semana que viene
snooze-pick = Elige una hora ({ $zone })
snooze-custom = Posponer hasta entonces
pane-close = Cerrar
pane-close-title = Cerrar (e)
close-note = Nota de cierre
optional = (opcional)
close-note-placeholder = ¿Qué se resolvió?
close-submit = Cerrar conversación
pane-reopen = Reabrir
pane-assignee = Asignada a
pane-team = Equipo
pane-no-team = Sin equipo
pane-assign-me = Asignármela
pane-assign-me-title = Asignármela (a)
pane-earlier = Mensajes anteriores
pane-delete = Eliminar conversación
pane-delete-confirm = ¿Eliminar definitivamente esta conversación y sus mensajes? Quedará anotado en el registro de auditoría.

## Cronología

transcript-by = { $text } por { $who }
msg-not-delivered = No entregado: { $error }
msg-private-note = Nota privada
msg-other-sender = No es el contacto
msg-other-sender-title = Escrito por { $sender }, que no es el contacto de esta conversación. Las respuestas siguen yendo al contacto.
mail-bounce = Rebote
mail-auto-reply = Respuesta automática
mail-show-full = Mostrar el mensaje completo
mail-html = Versión HTML
mail-html-frame = Versión HTML del correo
mail-remote-load = Cargar imágenes remotas
mail-remote-loaded = Imágenes remotas cargadas
mail-remote-hint = Las imágenes remotas están bloqueadas: cargarlas le indica al remitente que has leído esto.
mail-new-tab = Abrir en una pestaña nueva
attachments = Archivos adjuntos
attachment-file = ARCHIVO
attachment-download = Descargar { $name }
attachment-not-stored = { $size } · no guardado
via-email = Correo electrónico
via-chat = Chat
details-from = De
details-note-by = Nota de
details-sent-by = Enviado por
details-written = escrito
details-coverage = Este canal informa de: { $statuses }
delivery-pending = pendiente
delivery-sent = enviado
delivery-delivered = entregado
delivery-read = leído
delivery-failed = fallido

## Eventos de la cronología ($who: el nombre de un agente, "el contacto" o Charla)

actor-contact = el contacto
event-created = Conversación iniciada
event-took = { $who } se asignó esta conversación
event-assigned = { $who } asignó esta conversación a { $to }
event-unassigned = { $who } quitó la asignación de esta conversación
event-team = { $who } movió esta conversación al equipo { $team }
event-team-removed = { $who } quitó esta conversación de su equipo
event-closed-note = Cerrada por { $who }: { $note }
event-closed = Cerrada por { $who }
event-reopened-by-contact = Reabierta por el contacto
event-reopened = Reabierta por { $who }
event-snoozed = { $who } pospuso esta conversación hasta el { $until }
event-woke-by-contact = Reactivada por un mensaje nuevo
event-woke = Fin de la posposición
event-blocked = { $who } bloqueó al contacto
event-unblocked = { $who } desbloqueó al contacto
event-email-confirmed = { $who } confirmó la dirección de correo electrónico del visitante { $email }

## El editor

typing = { $name } está escribiendo…
composer-mode = Respuesta o nota
composer-reply = Responder
composer-note = Nota privada
composer-via = Enviar por
via-email-unconfirmed = Correo: confirma antes la dirección
via-email-unconfirmed-title = El visitante escribió esta dirección; confírmala en el panel del contacto antes de enviarle correos
via-email-unavailable = Correo no disponible
via-email-unavailable-title = Hace falta la dirección de correo del visitante y una bandeja de entrada de correo para responder en la configuración de la bandeja del sitio web
window-closed = La ventana de mensajería de { $hours } horas está cerrada: el cliente no ha escrito en las últimas { $hours } horas, así que solo se puede enviar una plantilla aprobada. Las notas privadas siguen funcionando.
window-open = Ventana de mensajería de { $hours } horas: respuestas libres hasta
window-left-hm = (quedan { $hours } h { $minutes } min)
window-left-m = (quedan { $minutes } min)
composer-message = Mensaje
composer-placeholder-reply = Escribe una respuesta… Intro envía, Mayús+Intro para una línea nueva
composer-placeholder-note = Nota privada: solo la ven los agentes. Menciones con @nombre
composer-emoji = Emoji
composer-hint-reply = El contacto verá esta respuesta
composer-hint-note = Solo los agentes ven las notas · menciones con @nombre
composer-send = Enviar
composer-add-note = Añadir nota

## El contacto junto a la conversación

side-back = Volver a la conversación
identity-phone = Teléfono
identity-email = Correo electrónico
identity-messenger = Messenger
identity-telegram = Telegram
identity-identifier = Identificador
contact-download = Descargar conversaciones
contact-blocked-chip = bloqueado
reply-address = Las respuestas por correo van a
reply-address-unconfirmed = sin confirmar
reply-address-unconfirmed-text = El visitante escribió esta dirección; puede que no sea suya. No se le envía nada hasta que un agente la confirme.
reply-address-confirm = Confirmar esta dirección
contact-limited-pane = Este contacto también figura en bandejas de entrada de las que no eres miembro. Solo ves lo que sabe esta bandeja; un administrador, o un agente de todas esas bandejas, puede editarlo o bloquearlo.
contact-properties = Propiedades
property-name = Nombre de la propiedad
property-value = Valor
property-new = Propiedad
property-new-name = Nombre de la propiedad nueva
property-new-value = Valor de la propiedad nueva
contact-save = Guardar contacto
contact-saved = Guardado
contact-saving = Guardando…
contact-save-failed = No se ha guardado: revisa los campos e inténtalo de nuevo.
contact-all-conversations = Todas las conversaciones de este contacto →
contact-block = Bloquear contacto
contact-unblock = Desbloquear contacto
contact-blocked-text = Bloqueado: los mensajes nuevos se guardan, pero no reabren la conversación ni avisan.
