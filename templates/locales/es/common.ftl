# Compartido por todas las páginas: el nombre del idioma, fechas y horas, la navegación.

language-name = Español

## Fechas y horas ($day, $month, $year, $time "HH:MM", $zone "CET")

month-1 = ene
month-2 = feb
month-3 = mar
month-4 = abr
month-5 = may
month-6 = jun
month-7 = jul
month-8 = ago
month-9 = sept
month-10 = oct
month-11 = nov
month-12 = dic
time-today = { $time }
time-this-year = { $day } { $month }, { $time }
time-date = { $day } { $month } { $year }
time-full = { $day } { $month } { $year }, { $time } { $zone }
time-day-month = { $day } { $month }
time-weekday = { $weekday } { $day } { $month }
weekday-1 = lun
weekday-2 = mar
weekday-3 = mié
weekday-4 = jue
weekday-5 = vie
weekday-6 = sáb
weekday-7 = dom

## La navegación y el agente que ha iniciado sesión

nav-label = Principal
nav-inbox = Bandeja de entrada
nav-contacts = Contactos
nav-reports = Informes
nav-admin = Administración
nav-agents = Agentes
nav-teams = Equipos
nav-inboxes = Bandejas de entrada
nav-audit = Registro de auditoría
nav-sign-out = Cerrar sesión
role-admin = administrador
role-agent = agente
js-copied = Copiado

## Avisos después de una redirección

flash-welcome = Te damos la bienvenida a Charla. Ahora añade tus agentes, equipos y bandejas de entrada.
flash-signed-out = Has cerrado la sesión.
flash-agent-saved = Agente guardado.
flash-agent-deactivated = Agente desactivado. Sus sesiones se han cerrado.
flash-agent-reactivated = Agente reactivado.
flash-team-saved = Equipo guardado.
flash-team-deleted = Equipo eliminado.
flash-inbox-saved = Bandeja de entrada guardada.
flash-inbox-deleted = Bandeja de entrada eliminada.
flash-inbox-created = Bandeja de entrada creada. Termina la configuración en la consola del proveedor, más abajo.
flash-website-created = Bandeja creada. Pega el fragmento de abajo en todas las páginas de tu sitio web, antes de </body>.
flash-conversation-deleted = Conversación eliminada.
flash-profile-saved = Perfil guardado.
flash-preferences-saved = Idioma y zona horaria guardados.
flash-notifications-saved = Notificaciones guardadas.
flash-password-changed = Contraseña cambiada. Se han cerrado todas tus otras sesiones.
flash-password-changed-tokens-revoked = Contraseña cambiada. Se han cerrado todas tus otras sesiones y se han revocado tus tokens personales de la API: crea otros nuevos para tus scripts.
flash-token-revoked = Token revocado.
flash-password-set = Tu contraseña está lista. ¡Bienvenido!

## Campos de formulario de varias páginas

field-name = Nombre
field-email = Correo electrónico
field-password = Contraseña
field-phone = Teléfono
field-tags = Etiquetas
tags-placeholder = vip, mayorista
password-hint = Al menos 8 caracteres.
# Lo que dice un aviso (la pestaña, la notificación de escritorio); le sigue el nombre del contacto.
notify-kind-conversation = Conversación nueva
notify-kind-assigned = Mensaje nuevo
notify-kind-mention = Te han mencionado
notify-someone = Un cliente
flash-two-factor-on = La verificación en dos pasos está activada.
flash-two-factor-off = La verificación en dos pasos está desactivada.
flash-two-factor-reset = Verificación en dos pasos restablecida.
flash-two-factor-required = Ahora todos los agentes deben usar la verificación en dos pasos.
flash-two-factor-not-required = La verificación en dos pasos ya no es obligatoria.
