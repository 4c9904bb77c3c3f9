# Respuestas guardadas y plantillas (los textos guardados del editor).

nav-saved = Respuestas guardadas
saved-admin-title = Respuestas guardadas
saved-admin-lead = Compartidas con todos los agentes: aparecen en el editor de todos. Cada agente guarda las suyas en Perfil → Mis respuestas guardadas.
saved-mine-title = Mis respuestas guardadas
saved-mine-lead = Solo tú las ves. Las compartidas, que gestionan los administradores, también aparecen en tu editor.
saved-none = Todavía no hay respuestas guardadas.
saved-new = Nueva respuesta guardada
saved-create = Añadir respuesta guardada
saved-save = Guardar
saved-delete = Eliminar
saved-delete-confirm = ¿Eliminar la respuesta guardada «{ $title }»?
saved-field-title = Título
saved-field-shortcut = Atajo
saved-field-category = Categoría
saved-field-body = Texto
saved-title-placeholder = Reembolso en camino
saved-shortcut-placeholder = reembolso
saved-category-placeholder = Facturación
saved-body-placeholder = Hola {"{{"}contact.first_name{"}}"}, tu reembolso está en camino.
saved-variables-hint = Se completan con los datos de la conversación al insertarlas:
saved-flash-saved = Respuesta guardada.
saved-flash-deleted = Respuesta guardada eliminada.
saved-invalid-shortcut = { field-label }: solo puede tener letras, números, - y _
saved-invalid-shortcut-taken = { field-label }: { $value } ya lo usa otra respuesta guardada
saved-error-unfilled = Completa { $names } antes de enviar: { $count ->
    [one] no tiene
   *[other] no tienen
} valor en esta conversación.
saved-profile-title = Mis respuestas guardadas
saved-profile-count = { $count ->
    [0] Todavía no tienes respuestas guardadas propias.
    [one] Tienes una respuesta guardada propia.
   *[other] Tienes { $count } respuestas guardadas propias.
}
saved-profile-manage = Gestionar mis respuestas guardadas
saved-button = Respuestas guardadas
saved-search = Buscar respuestas guardadas
saved-empty = Ninguna respuesta guardada coincide.
saved-loading = Cargando respuestas guardadas…
saved-load-failed = No se pudieron cargar las respuestas guardadas.
saved-missing = Completa antes de enviar:
saved-shared = Compartida
saved-mine = Mía
saved-no-category = Otras
saved-close = Cerrar
nav-templates = Plantillas
template-admin-title = Plantillas
template-admin-lead = Mensajes con campos, que se envían desde el menú + del editor → Enviar plantilla tras una vista previa. Cualquier agente puede enviarlas.
template-none = Todavía no hay plantillas.
template-new = Nueva plantilla
template-create = Añadir plantilla
template-delete-confirm = ¿Eliminar la plantilla «{ $name }»?
template-field-name = Nombre
template-field-language = Idioma
template-field-subject = Asunto del correo
template-field-body = Texto
template-name-placeholder = Pedido enviado
template-subject-placeholder = Tu pedido {"{{"}order_number{"}}"}
template-body-placeholder = Hola {"{{"}contact.first_name{"}}"}, tu pedido {"{{"}order_number{"}}"} ya está en camino.
template-fields-hint = La conversación completa {"{{"}contact.name{"}}"}, {"{{"}contact.first_name{"}}"}, {"{{"}contact.email{"}}"}, {"{{"}contact.phone{"}}"}, {"{{"}contact.<propiedad>{"}}"}, {"{{"}agent.name{"}}"} e {"{{"}inbox.name{"}}"}; cualquier otro nombre entre llaves dobles, como {"{{"}order_number{"}}"}, es un campo que el agente completa antes de enviar.
template-flash-saved = Plantilla guardada.
template-flash-deleted = Plantilla eliminada.
template-more = Más
template-send = Enviar plantilla
template-dialog-title = Enviar una plantilla
template-choose = Plantilla
template-preview = Lo que recibe el cliente
template-confirm = Enviar al cliente
template-cancel = Cancelar
template-none-composer = Todavía no hay plantillas: un administrador las añade en Administración → Plantillas.
template-language-placeholder = es

## WhatsApp approved templates (part: watpl)
template-wa-section = Plantilla aprobada de WhatsApp
template-wa-hint = Para una bandeja de WhatsApp: el nombre y el idioma de la plantilla exactamente como Meta los aprobó; el cuerpo de arriba usa entonces variables numeradas {"{{"}1{"}}"}, {"{{"}2{"}}"}… Se puede enviar incluso cuando la ventana de 24 horas ya se cerró.
template-wa-inbox = Bandeja de WhatsApp
template-wa-inbox-none = Ninguna (no es una plantilla de WhatsApp)
template-wa-name = Nombre aprobado
template-wa-language = Código de idioma
template-wa-header = Encabezado
template-wa-header-none = Sin encabezado
template-wa-header-text = Texto
template-wa-header-image = Imagen
template-wa-header-document = Documento
template-wa-header-value = Texto del encabezado o URL del archivo
template-wa-buttons = Botones
template-wa-buttons-hint = Uno por línea: quick_reply | texto, url | texto | https://…, o phone_number | texto | +34600111222.
template-wa-name-placeholder = pedido_enviado
template-wa-buttons-placeholder = quick_reply | Gracias
