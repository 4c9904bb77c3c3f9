# Adjuntos en el editor (subidas), la conversación y la API.
upload-attach = Adjuntar archivos
upload-drop = Suelta los archivos para adjuntarlos
upload-remove = Quitar { $name }
upload-caption = Pie de foto o comentario (opcional)
upload-uploading = Subiendo…
upload-failed = No se pudo subir { $name }: { $reason }
upload-wait = Espera a que terminen de subirse los archivos.
upload-too-large = { $name } pesa más de { $limit }, el máximo por archivo. No se ha guardado nada.
upload-too-large-before = { $name } pesa { $size }, demasiado para subirlo.
upload-type = No se puede enviar { $name }: se aceptan PDF, imágenes JPEG, PNG, GIF y WEBP, vídeo MP4, audio MP3, OGG, M4A y WEBM, documentos de Word (DOCX) y Excel (XLSX) y texto TXT y CSV (el tipo se lee del contenido del archivo, no de su nombre).
upload-empty = { $name } está vacío.
upload-unreadable = No se pudo leer { $name } hasta el final ({ $detail }).
upload-no-file = La subida no traía ningún archivo.
upload-bad-voice = El campo voice debe ser 1 o 0.
upload-bad-list = La lista de archivos adjuntos no es válida ({ $detail }).
upload-too-many = Como máximo { $count } archivos por mensaje.
upload-limit = Hasta { $limit } por archivo
upload-voice-note = Nota de voz
# Files on messaging channels and API inboxes (chanfiles).
chanfiles-type = { $name } no se puede enviar por { $channel }: el canal no admite este tipo de archivo. No se ha enviado nada; tus archivos siguen adjuntos.
chanfiles-too-large = { $name } no se puede enviar por { $channel }: supera los { $limit } que admite el canal. No se ha enviado nada; tus archivos siguen adjuntos.
chanfiles-no-public-url = Los archivos van por este canal como enlaces de descarga, y server.public_url no está configurado: pon la dirección por la que los clientes llegan a Charla. No se ha enviado nada.
chanfiles-not-with-template = Una plantilla aprobada se envía sin archivos: mándalos en una respuesta cuando el cliente vuelva a escribir. No se ha enviado nada.
