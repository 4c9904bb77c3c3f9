# Before sign-in: the first admin, signing in, accepting an invite.

auth-tagline = Your team's shared inbox
login-title = Sign in
login-submit = Sign in
login-forgot = Forgot your password? Ask an admin to send you a new invite link.
setup-page-title = Set up Charla
setup-title = Welcome to Charla
setup-lead = Create the first admin account. You will add your team, inboxes and channels next.
setup-your-name = Your name
setup-submit = Create admin and continue
invite-page-title = Choose your password
invite-hello = Hello, { $name }
invite-lead = Choose a password for { $email } to join your team on Charla.
invite-submit = Set password and sign in
