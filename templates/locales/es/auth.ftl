# Antes de iniciar sesión: el primer administrador, el inicio de sesión, las invitaciones.

auth-tagline = La bandeja de entrada compartida de tu equipo
login-title = Iniciar sesión
login-submit = Iniciar sesión
login-forgot = ¿Has olvidado tu contraseña? Pide a un administrador que te envíe un nuevo enlace de invitación.
setup-page-title = Configurar Charla
setup-title = Te damos la bienvenida a Charla
setup-lead = Crea la primera cuenta de administrador. Después añadirás tu equipo, tus bandejas de entrada y tus canales.
setup-your-name = Tu nombre
setup-submit = Crear administrador y continuar
invite-page-title = Elige tu contraseña
invite-hello = Hola, { $name }
invite-lead = Elige una contraseña para { $email } y únete a tu equipo en Charla.
invite-submit = Guardar contraseña e iniciar sesión
