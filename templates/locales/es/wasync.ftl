# Plantillas aprobadas de WhatsApp sincronizadas desde Meta (el id de WABA de la bandeja, "Sincronizar plantillas").

wasync-f-waba-id = ID de la cuenta de WhatsApp Business
wasync-h-waba-id = Opcional: WhatsApp → Configuración de la API, en el panel de aplicaciones de Meta. Con él, Administración → Plantillas puede sincronizar las plantillas aprobadas de este número.
wasync-title = Sincronizar desde Meta
wasync-lead = Lee de Meta las plantillas aprobadas de cada bandeja de WhatsApp Cloud y las guarda aquí, emparejadas por nombre e idioma. Las plantillas de esa bandeja que Meta ya no lista como aprobadas (pendientes, rechazadas, en pausa, eliminadas) se quitan. El archivo de un encabezado multimedia que hayas puesto tú se conserva.
wasync-button = Sincronizar plantillas
wasync-no-waba = Primero pon su ID de la cuenta de WhatsApp Business en los ajustes de la bandeja.
wasync-inbox-settings = Ajustes de la bandeja
wasync-waba = WABA { $id }
wasync-synced-chip = Sincronizada desde Meta
wasync-done = { $synced ->
    [one] 1 plantilla aprobada sincronizada
   *[other] { $synced } plantillas aprobadas sincronizadas
}, { $skipped } omitidas{ $removed ->
    [0] {""}
    [one] , 1 quitada
   *[other] , { $removed } quitadas
}.
wasync-error-no-waba = Esta bandeja no tiene ID de la cuenta de WhatsApp Business: ponlo en los ajustes de la bandeja y vuelve a sincronizar.
wasync-error-token = Meta rechazó el token de acceso de la bandeja (caducado, revocado o mal escrito). No se cambió nada. Meta dijo: { $detail }
wasync-error-not-found = Meta no deja que este token de acceso lea esa cuenta de WhatsApp Business (revisa el ID y los permisos del token). No se cambió nada. Meta dijo: { $detail }
wasync-error-rate = Meta está limitando las peticiones ahora mismo; vuelve a intentarlo en unos minutos. No se cambió nada. Meta dijo: { $detail }
wasync-error-failed = Meta rechazó la lista de plantillas. No se cambió nada. Meta dijo: { $detail }
wasync-error-unreachable = No se pudo contactar con Meta. No se cambió nada. { $detail }
wasync-error-too-many = Meta lista { $count } plantillas aprobadas, más de las que Charla guarda. No se cambió nada.
wasync-field-header = Encabezado { "{{" }1{ "}}" }
wasync-field-button = Final del enlace de «{ $button }»
wasync-field-example = p. ej. { $example }
wasync-footer = Pie
wasync-header-video = Vídeo
