# Archivos en el widget del chat web (static/widget/charla.js), en el idioma del visitante.

widgetfiles-attach = Adjuntar un archivo
widgetfiles-drop = Suelta aquí los archivos para enviarlos
widgetfiles-uploading = Subiendo…
# $name lo rellena el widget (el nombre del archivo).
widgetfiles-remove = Quitar { $name }
# $name lo rellena el widget (el nombre del archivo).
widgetfiles-download = Descargar { $name }
widgetfiles-image = Imagen
widgetfiles-off = Este chat no admite archivos. No se ha enviado nada.
widgetfiles-network = se perdió la conexión
widgetfiles-session = El chat tiene que volver a conectarse antes de enviar archivos; inténtalo de nuevo en un momento.
widgetfiles-too-many = Demasiados archivos; vuelve a intentarlo en { $seconds } s. No se ha guardado nada.
# Administración: el ajuste de la bandeja web.
widgetfiles-setting = Los visitantes pueden enviar archivos
widgetfiles-setting-hint = Imágenes, PDF y los demás tipos aceptados, comprobados por su contenido, hasta el límite de tamaño del widget.
