# El perfil del propio agente.

profile-title = Tu perfil
profile-display-name = Nombre visible
profile-save-name = Guardar nombre
profile-prefs = Idioma y zona horaria
profile-language = Idioma
profile-language-browser = El idioma del navegador
profile-timezone = Zona horaria
profile-timezone-default = Predeterminada: { $zone }
profile-timezone-hint = Un nombre IANA como Europe/Madrid o America/Mexico_City; vacío para la de la instalación ({ $zone }).
profile-now = Ahora son las { $time }.
profile-save-prefs = Guardar idioma y zona horaria
invalid-language = Idioma: «{ $value }» no es un idioma de Charla (inglés o español).
invalid-timezone = Zona horaria: «{ $value }» no es una zona horaria. Escribe un nombre como Europe/Madrid o America/Bogota, o déjalo vacío.
profile-current-password = Contraseña actual
profile-new-password = Nueva contraseña
profile-password-hint = Al cambiarla se cierran tus demás sesiones y se revocan tus tokens personales de la API.
profile-change-password = Cambiar contraseña
tokens-title = Tokens personales de la API
tokens-lead = Los tokens actúan en tu nombre en la API REST (Authorization: Bearer …), con tus permisos.
tokens-created = Token «{ $label }» creado.
tokens-copy-now = Cópialo ahora: no se volverá a mostrar.
tokens-copy = Copiar
tokens-none = Todavía no hay tokens.
tokens-label = Etiqueta
tokens-created-at = Creado
tokens-revoke = Revocar
tokens-revoke-confirm = ¿Revocar el token «{ $label }»? Los scripts que lo usen dejarán de funcionar.
tokens-new-label = Etiqueta del token nuevo
tokens-new-placeholder = p. ej. Script de copia de seguridad
tokens-create = Crear token

## Two-factor sign-in
two-factor-title = Verificación en dos pasos
two-factor-lead = Después de tu contraseña, Charla pide un código de seis cifras de una app de autenticación en tu teléfono, así que una contraseña robada no basta para entrar.
two-factor-required-notice = Tu espacio de trabajo exige la verificación en dos pasos. Configúrala para continuar.
two-factor-setup-title = Configura tu app de autenticación
two-factor-qr-alt = Código QR para escanear con tu app de autenticación
two-factor-step-scan = Escanea este código QR con una app de autenticación (por ejemplo Aegis, Google Authenticator, Microsoft Authenticator o 1Password).
two-factor-step-manual = ¿No puedes escanearlo? Escribe esta clave en la app:
two-factor-step-confirm = Escribe el código de seis cifras que muestra la app para activarla.
two-factor-code = Código
two-factor-app-code = Código de tu app
two-factor-enable = Activar
two-factor-codes-title = Tus códigos de recuperación
two-factor-codes-lead = Cada código te permite entrar una vez si pierdes el teléfono. Guárdalos ahora en un lugar seguro: no se vuelven a mostrar.
two-factor-codes-done = Ya los he guardado
two-factor-status = Estado
two-factor-on = Activada
two-factor-off = Desactivada
two-factor-on-since = desde el { $time }
two-factor-codes-left = { $count ->
    [one] Te queda 1 código de recuperación.
   *[other] Te quedan { $count } códigos de recuperación.
}
two-factor-manage = Gestionar
two-factor-set-up = Configurar
two-factor-new-codes = Nuevos códigos de recuperación
two-factor-new-codes-lead = Genera diez códigos nuevos; los anteriores dejan de funcionar.
two-factor-new-codes-submit = Generar códigos nuevos
two-factor-off-title = Desactivar
two-factor-off-lead = Entrarás solo con tu contraseña.
two-factor-off-confirm = ¿Desactivar la verificación en dos pasos?
two-factor-off-submit = Desactivar la verificación en dos pasos
two-factor-login-title = Verificación en dos pasos
two-factor-login-lead = Escribe el código de seis cifras de tu app de autenticación.
two-factor-login-recovery-hint = ¿Perdiste el teléfono? Escribe uno de tus códigos de recuperación.
two-factor-verify = Verificar
two-factor-login-back = Volver a empezar
