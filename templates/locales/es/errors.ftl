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
