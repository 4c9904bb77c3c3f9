# Shared by every page: the language's own name, dates and times, the navigation.

language-name = English

## Dates and times ($day, $month, $year, $time "HH:MM", $zone "CET")

month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec
time-today = { $time }
time-this-year = { $day } { $month }, { $time }
time-date = { $day } { $month } { $year }
time-full = { $day } { $month } { $year }, { $time } { $zone }
time-day-month = { $day } { $month }
time-weekday = { $weekday } { $day } { $month }
weekday-1 = Mon
weekday-2 = Tue
weekday-3 = Wed
weekday-4 = Thu
weekday-5 = Fri
weekday-6 = Sat
weekday-7 = Sun

## The navigation and the signed-in agent

nav-label = Main
nav-inbox = Inbox
nav-contacts = Contacts
nav-reports = Reports
nav-admin = Admin
nav-agents = Agents
nav-teams = Teams
nav-inboxes = Inboxes
nav-audit = Audit log
nav-sign-out = Sign out
role-admin = admin
role-agent = agent
js-copied = Copied

## Notices after a redirect

flash-welcome = Welcome to Charla. Next: add your agents, teams and inboxes.
flash-signed-out = You have signed out.
flash-agent-saved = Agent saved.
flash-agent-deactivated = Agent deactivated. Their sessions have ended.
flash-agent-reactivated = Agent reactivated.
flash-team-saved = Team saved.
flash-team-deleted = Team deleted.
flash-inbox-saved = Inbox saved.
flash-inbox-deleted = Inbox deleted.
flash-inbox-created = Inbox created. Finish the set-up in the provider's console below.
flash-website-created = Inbox created. Paste the snippet below into every page of your website, before </body>.
flash-conversation-deleted = Conversation deleted.
flash-profile-saved = Profile saved.
flash-preferences-saved = Language and time zone saved.
flash-notifications-saved = Notifications saved.
flash-password-changed = Password changed. Every other session has been signed out.
flash-password-changed-tokens-revoked = Password changed. Every other session has been signed out and your personal API tokens were revoked: create new ones for your scripts.
flash-token-revoked = Token revoked.
flash-password-set = Your password is set. Welcome!

## Form fields used on several pages

field-name = Name
field-email = Email
field-password = Password
field-phone = Phone
field-tags = Tags
tags-placeholder = vip, wholesale
password-hint = At least 8 characters.
# What a notification says (the tab, the desktop notification); the contact's name follows.
notify-kind-conversation = New conversation
notify-kind-assigned = New message
notify-kind-mention = You were mentioned
notify-someone = A customer
flash-two-factor-on = Two-factor sign-in is on.
flash-two-factor-off = Two-factor sign-in is off.
flash-two-factor-reset = Two-factor sign-in reset.
flash-two-factor-required = Two-factor sign-in is now required of every agent.
flash-two-factor-not-required = Two-factor sign-in is no longer required.
