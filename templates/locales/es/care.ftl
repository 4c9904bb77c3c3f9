## Enviar con cuidado: deshacer envío, enviar más tarde, aviso de conflicto

undo-sending = Enviando en { $seconds } s…
undo-undo = Deshacer
undo-send-now = Enviar ya
undo-restored = No se envió: tu respuesta vuelve a estar en el editor.
undo-title = Envío
undo-seconds = Deshacer envío: espera antes de enviar una respuesta (segundos)
undo-hint = Una respuesta espera este tiempo con un botón «Deshacer» antes de salir; 0 la envía al instante. Las notas se añaden al instante. Hasta { $max } segundos.
undo-save = Guardar envío
undo-saved = Preferencias de envío guardadas.

schedule-title = Enviar más tarde
schedule-later = Más tarde
schedule-hint = Envía esta respuesta cuando elijas (en tu zona horaria).
schedule-one-hour = Dentro de 1 hora
schedule-tomorrow = Mañana a las 9:00
schedule-monday = El lunes a las 9:00
schedule-pick = Fecha y hora
schedule-at = Programar
schedule-panel = Respuestas programadas
schedule-by = Programada por { $name }
schedule-failed = No enviada
schedule-edit = Editar
schedule-text = Texto
schedule-save = Guardar
schedule-cancel = Cancelar
schedule-dismiss = Descartar
schedule-in-past = { field-label }: debe ser en el futuro
schedule-replies-only = { field-label }: solo se pueden programar respuestas; una nota se añade al instante
schedule-past-window = La ventana de mensajería se cierra el { $time }: el cliente tiene que volver a escribir para que una respuesta pueda salir después. Elige una hora anterior o envía una plantilla.

conflict-title = Llegaron mensajes nuevos mientras escribías.
conflict-body = Aún no se ha enviado nada. Léelos y después envía de todos modos o edita tu respuesta.
conflict-send-anyway = Enviar de todos modos
conflict-edit = Editar

## xfiles: a template or files with send later
xfiles-wa-template-now = Una plantilla aprobada de WhatsApp se envía al momento: no se puede programar. No se ha programado nada.
xfiles-files-now = Los archivos se envían con una respuesta enviada ahora: una respuesta programada todavía no puede llevarlos. No se ha programado nada.
xfiles-template-when = Cuándo
xfiles-template-now = Ahora
