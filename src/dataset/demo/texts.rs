//! The demo's people and words, half in Spanish, half in English.

use crate::domain::ChannelKind;

pub const AGENTS: &[(&str, &str)] = &[
    ("Luis Fernández", "luis@demo.example"),
    ("Emma Wilson", "emma@demo.example"),
    ("Carmen Ruiz", "carmen@demo.example"),
    ("James Carter", "james@demo.example"),
];

pub const TEAMS: &[&str] = &[
    "Soporte · Support",
    "Ventas · Sales",
    "Logística · Logistics",
];

pub const INBOXES: &[(&str, ChannelKind)] = &[
    ("Tienda online (API)", ChannelKind::Api),
    ("soporte@demo.example", ChannelKind::Email),
    ("Chat web · Website", ChannelKind::Website),
    ("WhatsApp +34 600 000 000", ChannelKind::WhatsApp),
    ("SMS +1 555 000 0000", ChannelKind::Sms),
    ("Messenger · Demo Shop", ChannelKind::Messenger),
    ("Telegram @DemoShopBot", ChannelKind::Telegram),
];

const NAMES_ES: &[&str] = &[
    "Lucía", "Javier", "María", "Pablo", "Carmen", "Diego", "Elena", "Sergio", "Marta", "Álvaro",
    "Paula", "Andrés", "Nuria", "Raúl", "Inés", "Jorge",
];
const SURNAMES_ES: &[&str] = &[
    "Martínez",
    "López",
    "Sánchez",
    "Gómez",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Jiménez",
    "Ruiz",
    "Navarro",
    "Torres",
    "Domínguez",
    "Vázquez",
    "Ramos",
];
const NAMES_EN: &[&str] = &[
    "Olivia", "Liam", "Emily", "Noah", "Sophie", "Jack", "Grace", "Harry", "Chloe", "Oliver",
    "Isla", "George", "Amelia", "Thomas", "Ella", "Samuel",
];
const SURNAMES_EN: &[&str] = &[
    "Smith", "Johnson", "Brown", "Taylor", "Davies", "Evans", "Walker", "Wright", "Thompson",
    "White", "Hughes", "Edwards", "Green", "Hall",
];

/// A customer: 300 of them, so some write more than once.
pub struct Person {
    pub n: usize,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub spanish: bool,
}

pub fn person(i: usize) -> Person {
    let n = (i * 7) % 300;
    let spanish = n.is_multiple_of(2);
    let (names, surnames) = if spanish {
        (NAMES_ES, SURNAMES_ES)
    } else {
        (NAMES_EN, SURNAMES_EN)
    };
    let first = names[(n / 2) % names.len()];
    let last = surnames[(n / 3) % surnames.len()];
    let ascii: String = format!("{first}.{last}{n}")
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' => 'a',
            'é' => 'e',
            'í' => 'i',
            'ó' => 'o',
            'ú' => 'u',
            'ñ' => 'n',
            c => c,
        })
        .collect();
    Person {
        n,
        name: format!("{first} {last}"),
        email: format!("{ascii}@mail.demo.example"),
        phone: if spanish {
            format!("+3460{:07}", 1_000_000 + n)
        } else {
            format!("+4477{:08}", 10_000_000 + n)
        },
        spanish,
    }
}

/// What one conversation is about.
pub struct Topic {
    pub subject: &'static str,
    pub opening: &'static str,
    pub answer: &'static str,
    pub follow_up: &'static str,
    pub closing: &'static str,
}

const ES: &[Topic] = &[
    Topic {
        subject: "¿Dónde está mi pedido?",
        opening: "Hola, hice un pedido hace cinco días y todavía no ha llegado. ¿Podéis decirme dónde está?",
        answer: "¡Hola! Lo siento por la espera. Tu pedido salió ayer del almacén; te paso el número de seguimiento en un momento.",
        follow_up: "Vale, gracias. ¿Llegará antes del viernes?",
        closing: "Sí, la empresa de transporte lo entrega el jueves. ¡Que lo disfrutes!",
    },
    Topic {
        subject: "Cambio de talla",
        opening: "Buenas, me ha llegado la chaqueta pero me queda pequeña. ¿Puedo cambiarla por una talla L?",
        answer: "Claro que sí. Te enviamos una etiqueta de devolución y en cuanto recibamos la chaqueta mandamos la talla L.",
        follow_up: "Perfecto, ya la he dejado en la oficina de correos.",
        closing: "¡Recibida! La talla L sale hoy mismo. Gracias por tu paciencia.",
    },
    Topic {
        subject: "Factura para mi empresa",
        opening: "Necesito la factura del último pedido a nombre de mi empresa, con el CIF. ¿Me la podéis mandar?",
        answer: "Por supuesto. ¿Me confirmas el nombre fiscal y el CIF exactos?",
        follow_up: "Reformas Levante S.L., CIF B12345678. Gracias.",
        closing: "Te adjuntamos la factura corregida. Cualquier cosa, aquí estamos.",
    },
    Topic {
        subject: "Producto dañado",
        opening: "El paquete llegó con la caja abierta y una de las tazas rota. Os mando una foto.",
        answer: "¡Qué rabia! Perdona las molestias. Te enviamos una taza nueva sin coste, no hace falta devolver la rota.",
        follow_up: "Muchas gracias, sois muy rápidos.",
        closing: "A ti. La nueva llegará en 48 horas.",
    },
    Topic {
        subject: "¿Tenéis stock?",
        opening: "¿Vais a tener otra vez la lámpara de mesa en color verde? En la web sale agotada.",
        answer: "Esperamos reposición la semana que viene. Si quieres, te avisamos en cuanto esté disponible.",
        follow_up: "Sí, por favor, avisadme.",
        closing: "Hecho: te escribiremos en cuanto llegue.",
    },
];

const EN: &[Topic] = &[
    Topic {
        subject: "Where is my order?",
        opening: "Hi, I ordered a week ago and the tracking page hasn't moved since Monday. Can you check?",
        answer: "Hi! Sorry about that. The carrier had a delay at the depot; your parcel is moving again and should arrive tomorrow.",
        follow_up: "Great, thanks for checking.",
        closing: "You're welcome! Let us know if it doesn't show up.",
    },
    Topic {
        subject: "Change of delivery address",
        opening: "Can I change the delivery address for order 48213? I'll be at my office that day.",
        answer: "Sure, what's the new address?",
        follow_up: "14 King Street, Manchester M2 4LQ.",
        closing: "Done, the courier has the new address. Have a nice day!",
    },
    Topic {
        subject: "Refund question",
        opening: "I returned the headphones two weeks ago. When will I get my refund?",
        answer: "We received them on Tuesday; the refund was issued today and takes 3 to 5 business days to show up.",
        follow_up: "Perfect, thank you!",
        closing: "Thanks for shopping with us.",
    },
    Topic {
        subject: "Discount code not working",
        opening: "The code SPRING15 says it's invalid at checkout. Has it expired?",
        answer: "It should work until Sunday. It doesn't apply to items already on sale; could that be it?",
        follow_up: "Ah yes, one of them was on sale. Works now.",
        closing: "Glad it worked! Enjoy your order.",
    },
    Topic {
        subject: "Damaged parcel",
        opening: "My parcel arrived with the box crushed and the frame is cracked. Photo attached.",
        answer: "So sorry! We're sending a replacement today, no need to return the broken one.",
        follow_up: "Thanks a lot, that was quick.",
        closing: "Our pleasure. The tracking number is in your email.",
    },
];

pub fn topic(i: usize, spanish: bool) -> &'static Topic {
    let list = if spanish { ES } else { EN };
    &list[(i / 2) % list.len()]
}
