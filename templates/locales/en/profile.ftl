# The agent's own profile.

profile-title = Your profile
profile-display-name = Display name
profile-save-name = Save name
profile-prefs = Language and time zone
profile-language = Language
profile-language-browser = The browser's language
profile-timezone = Time zone
profile-timezone-default = Default: { $zone }
profile-timezone-hint = An IANA name such as Europe/Madrid or America/Mexico_City; empty for the installation's ({ $zone }).
profile-now = It is now { $time }.
profile-save-prefs = Save language and time zone
invalid-language = Language: “{ $value }” is not a language of Charla (English or Spanish).
invalid-timezone = Time zone: “{ $value }” is not a time zone. Type a name such as Europe/Madrid or America/Bogota, or leave it empty.
profile-current-password = Current password
profile-new-password = New password
profile-password-hint = Changing it signs you out everywhere else and revokes your personal API tokens.
profile-change-password = Change password
tokens-title = Personal API tokens
tokens-lead = Tokens act as you in the REST API (Authorization: Bearer …), with your permissions.
tokens-created = Token “{ $label }” created.
tokens-copy-now = Copy it now: it will not be shown again.
tokens-copy = Copy
tokens-none = No tokens yet.
tokens-label = Label
tokens-created-at = Created
tokens-revoke = Revoke
tokens-revoke-confirm = Revoke token “{ $label }”? Scripts using it will stop working.
tokens-new-label = New token label
tokens-new-placeholder = e.g. Backup script
tokens-create = Create token

## Two-factor sign-in
two-factor-title = Two-factor sign-in
two-factor-lead = After your password, Charla asks for a six-digit code from an authenticator app on your phone, so a stolen password alone does not get anyone in.
two-factor-required-notice = Your workspace requires two-factor sign-in. Set it up to continue.
two-factor-setup-title = Set up your authenticator app
two-factor-qr-alt = QR code to scan with your authenticator app
two-factor-step-scan = Scan this QR code with an authenticator app (for example Aegis, Google Authenticator, Microsoft Authenticator or 1Password).
two-factor-step-manual = Cannot scan it? Type this key into the app instead:
two-factor-step-confirm = Enter the six-digit code the app shows to turn it on.
two-factor-code = Code
two-factor-app-code = Code from your app
two-factor-enable = Turn on
two-factor-codes-title = Your recovery codes
two-factor-codes-lead = Each code signs you in once if you lose your phone. Save them somewhere safe now: they are not shown again.
two-factor-codes-done = I have saved them
two-factor-status = Status
two-factor-on = On
two-factor-off = Off
two-factor-on-since = since { $time }
two-factor-codes-left = { $count ->
    [one] 1 recovery code left.
   *[other] { $count } recovery codes left.
}
two-factor-manage = Manage
two-factor-set-up = Set up
two-factor-new-codes = New recovery codes
two-factor-new-codes-lead = Makes ten new codes; the old ones stop working.
two-factor-new-codes-submit = Make new codes
two-factor-off-title = Turn off
two-factor-off-lead = You will sign in with your password only.
two-factor-off-confirm = Turn off two-factor sign-in?
two-factor-off-submit = Turn off two-factor sign-in
two-factor-login-title = Two-factor sign-in
two-factor-login-lead = Enter the six-digit code from your authenticator app.
two-factor-login-recovery-hint = Lost your phone? Enter one of your recovery codes instead.
two-factor-verify = Verify
two-factor-login-back = Start again
