# Contacts: the list, one contact.

contacts-lead = Everyone who has written to you, and everyone you added.
contacts-search = Search contacts
contacts-search-placeholder = Name, phone, email, tag or property
contacts-search-submit = Search
contacts-clear = Clear
contacts-none = No contacts.
contacts-no-match = No contacts match “{ $query }”.
contacts-more = More contacts
contacts-add = Add a contact
contacts-add-submit = Add contact
contact-no-conversations = No conversations you can see.
contact-details = Details
contact-limited-page = This contact is also known in inboxes you are not a member of. You see only what your inboxes know; an admin, or an agent of all of those inboxes, can edit or block it.
save = Save
