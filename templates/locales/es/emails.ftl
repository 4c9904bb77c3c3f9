# Lo que los clientes leen por correo (lo compone la cola de salida, en el idioma del
# contacto, si no en el de la bandeja de entrada, si no en el de la instalación; las
# horas, en la zona horaria de la instalación).

## Una transcripción («Enviar transcripción») y un chat web respondido por correo

email-transcript-subject = Transcripción de tu conversación con { $inbox }
email-transcript-intro = Esta es tu conversación con { $inbox }.
email-chat-subject = Tu conversación con { $inbox }
email-chat-so-far = Nuestra conversación hasta ahora:
# Un mensaje de una transcripción: quién lo escribió y cuándo («29 nov 2026, 12:27 CET»).
email-transcript-line = { $who } ({ $when }):
# Quién es el cliente en una transcripción cuando no dio su nombre.
email-transcript-you = Tú

## Administración: el idioma de la bandeja de entrada (templates/admin/_language_field.html)

admin-inbox-language = Idioma de los correos y del chat web
admin-inbox-language-default = El de la instalación ({ $language })
admin-inbox-language-hint = Un contacto cuyo idioma se conoce (el de su navegador, en el chat web) lee el suyo.
