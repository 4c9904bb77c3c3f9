# Saved responses and templates (the composer's saved text).

nav-saved = Saved responses
saved-admin-title = Saved responses
saved-admin-lead = Shared with every agent: they appear in everyone's composer. Agents keep their own under Profile → My saved responses.
saved-mine-title = My saved responses
saved-mine-lead = Only you see these. The shared ones, managed by admins, appear in your composer too.
saved-none = No saved responses yet.
saved-new = New saved response
saved-create = Add saved response
saved-save = Save
saved-delete = Delete
saved-delete-confirm = Delete the saved response “{ $title }”?
saved-field-title = Title
saved-field-shortcut = Shortcut
saved-field-category = Category
saved-field-body = Text
saved-title-placeholder = Refund on its way
saved-shortcut-placeholder = refund
saved-category-placeholder = Billing
saved-body-placeholder = Hi {"{{"}contact.first_name{"}}"}, your refund is on its way.
saved-variables-hint = Filled from the conversation when inserted:
saved-flash-saved = Saved response saved.
saved-flash-deleted = Saved response deleted.
saved-invalid-shortcut = { field-label }: may hold only letters, digits, - and _
saved-invalid-shortcut-taken = { field-label }: { $value } is already used by another saved response
saved-error-unfilled = Fill in { $names } before sending: { $count ->
    [one] it has
   *[other] they have
} no value in this conversation.
saved-profile-title = My saved responses
saved-profile-count = { $count ->
    [0] You have no saved responses of your own yet.
    [one] You have one saved response of your own.
   *[other] You have { $count } saved responses of your own.
}
saved-profile-manage = Manage my saved responses
saved-button = Saved responses
saved-search = Search saved responses
saved-empty = No saved response matches.
saved-loading = Loading saved responses…
saved-load-failed = The saved responses could not be loaded.
saved-missing = Fill in before sending:
saved-shared = Shared
saved-mine = Mine
saved-no-category = Other
saved-close = Close
nav-templates = Templates
template-admin-title = Templates
template-admin-lead = Messages with fields, sent from the composer's + menu → Send template after a preview. Every agent can send them.
template-none = No templates yet.
template-new = New template
template-create = Add template
template-delete-confirm = Delete the template “{ $name }”?
template-field-name = Name
template-field-language = Language
template-field-subject = Email subject
template-field-body = Text
template-name-placeholder = Order shipped
template-subject-placeholder = Your order {"{{"}order_number{"}}"}
template-body-placeholder = Hi {"{{"}contact.first_name{"}}"}, your order {"{{"}order_number{"}}"} is on its way.
template-fields-hint = The conversation fills {"{{"}contact.name{"}}"}, {"{{"}contact.first_name{"}}"}, {"{{"}contact.email{"}}"}, {"{{"}contact.phone{"}}"}, {"{{"}contact.<property>{"}}"}, {"{{"}agent.name{"}}"} and {"{{"}inbox.name{"}}"}; any other name in double braces, such as {"{{"}order_number{"}}"}, is a field the agent fills in before sending.
template-flash-saved = Template saved.
template-flash-deleted = Template deleted.
template-more = More
template-send = Send template
template-dialog-title = Send a template
template-choose = Template
template-preview = What the customer receives
template-confirm = Send to the customer
template-cancel = Cancel
template-none-composer = There are no templates yet: an admin adds them under Admin → Templates.
template-language-placeholder = es

## WhatsApp approved templates (part: watpl)
template-wa-section = WhatsApp approved template
template-wa-hint = For a WhatsApp inbox: the template's name and language exactly as Meta approved them; the body above then uses numbered variables {"{{"}1{"}}"}, {"{{"}2{"}}"}… It can be sent even after the 24-hour window has closed.
template-wa-inbox = WhatsApp inbox
template-wa-inbox-none = None (not a WhatsApp template)
template-wa-name = Approved name
template-wa-language = Language code
template-wa-header = Header
template-wa-header-none = No header
template-wa-header-text = Text
template-wa-header-image = Image
template-wa-header-document = Document
template-wa-header-value = Header text or file URL
template-wa-buttons = Buttons
template-wa-buttons-hint = One a line: quick_reply | text, url | text | https://…, or phone_number | text | +34600111222.
template-wa-name-placeholder = order_shipped
template-wa-buttons-placeholder = quick_reply | Thanks
