# Contactos: la lista, un contacto.

contacts-lead = Todas las personas que te han escrito y todas las que has añadido.
contacts-search = Buscar contactos
contacts-search-placeholder = Nombre, teléfono, correo, etiqueta o propiedad
contacts-search-submit = Buscar
contacts-clear = Borrar
contacts-none = No hay contactos.
contacts-no-match = Ningún contacto coincide con «{ $query }».
contacts-more = Más contactos
contacts-add = Añadir un contacto
contacts-add-submit = Añadir contacto
contact-no-conversations = No hay conversaciones que puedas ver.
contact-details = Datos
contact-limited-page = Este contacto también figura en bandejas de entrada de las que no eres miembro. Solo ves lo que saben tus bandejas; un administrador, o un agente de todas esas bandejas, puede editarlo o bloquearlo.
save = Guardar
