# Conversaciones exportadas como un documento HTML («Descargar conversaciones» de un
# contacto, charla export --format html).

export-title-contact = Conversaciones con { $name }
export-title-all = Charla: todas las conversaciones
export-subtitle = Exportado desde Charla. Las horas están en { $zone }; las notas privadas están marcadas.
export-about = Conversación n.º { $id } · { $channel } · { $status } · iniciada el { $started } · última actividad el { $last }
export-note = (nota privada)
export-file = { $name } ({ $mime }, { $size })
export-file-not-kept = { $name } ({ $mime }, { $size }, no conservado)
export-snoozed-until = pospuesta hasta el { $time }
export-unknown-channel = canal desconocido
export-error-format = El formato es html o jsonl, no «{ $format }».
