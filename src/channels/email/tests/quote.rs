//! Quoted-history trimming, in English and Spanish (and a few neighbours), both ways.

use crate::channels::email::trim_quoted;

fn trimmed(text: &str) -> String {
    let (new, did) = trim_quoted(text);
    assert!(did, "expected a trim of {text:?}");
    new
}

fn untouched(text: &str) {
    assert_eq!(trim_quoted(text), (text.to_string(), false));
}

#[test]
fn english_gmail_top_post() {
    let t = "Thanks, that fixed it.\n\nOn Mon, Jun 3, 2024 at 10:00 AM Support <s@x.test> wrote:\n\
             > Try again.\n> \n> > older\n";
    assert_eq!(trimmed(t), "Thanks, that fixed it.");
}

#[test]
fn english_attribution_wrapped_over_two_lines() {
    let t = "Yes please.\n\nOn Mon, Jun 3, 2024 at 10:00 AM Charla Support <\nsupport@charla.test> wrote:\n\n> Shall we?\n";
    assert_eq!(trimmed(t), "Yes please.");
}

#[test]
fn apple_mail_attribution() {
    let t = "Great.\n\n> On 3 Jun 2024, at 10:00, Support <s@x.test> wrote:\n>\n> Done.\n";
    assert_eq!(trimmed(t), "Great.");
    let t = "Great.\r\n\r\nOn 3 Jun 2024, at 10:00, Support <s@x.test> wrote:\r\n\r\n> Done.\r\n";
    assert_eq!(trimmed(t), "Great.");
}

#[test]
fn outlook_original_message_english() {
    let t = "See below.\n\n-----Original Message-----\nFrom: Support <s@x.test>\n\
             Sent: Monday, June 3, 2024 10:00 AM\nTo: Ana\nSubject: Hello\n\nHistory here.\n";
    assert_eq!(trimmed(t), "See below.");
    let t = "Fine.\n\n________________________________\nFrom: Support <s@x.test>\n\
             Sent: Monday, June 3, 2024 10:00\nTo: Ana\nSubject: Hi\n\nOld text\n";
    assert_eq!(trimmed(t), "Fine.");
    let t = "Ok\n\n*From:* Support\n*Sent:* Monday\n*Subject:* Hi\n\nOld\n";
    assert_eq!(trimmed(t), "Ok");
}

#[test]
fn spanish_gmail_and_outlook() {
    let t = "Muchas gracias.\n\nEl lun, 3 jun 2024 a las 10:00, Soporte (<s@x.test>) escribió:\n\
             > Hola Ana.\n";
    assert_eq!(trimmed(t), "Muchas gracias.");
    let t =
        "Perfecto.\n\nEl 3 de junio de 2024, a las 10:00, Soporte <s@x.test> escribio:\n> Hola\n";
    assert_eq!(trimmed(t), "Perfecto.");
    let t = "Recibido.\n\nDe: Soporte <s@x.test>\nEnviado: lunes, 3 de junio de 2024 10:00\n\
             Para: Ana\nAsunto: Hola\n\nTexto anterior\n";
    assert_eq!(trimmed(t), "Recibido.");
    let t = "Listo.\n\n-----Mensaje original-----\nDe: Soporte\nFecha: 3 jun\n\nAnterior\n";
    assert_eq!(trimmed(t), "Listo.");
}

#[test]
fn other_languages() {
    let t = "Merci.\n\nLe lun. 3 juin 2024 à 10:00, Support <s@x.test> a écrit :\n> Bonjour\n";
    assert_eq!(trimmed(t), "Merci.");
    let t = "Danke.\n\nAm 03.06.2024 um 10:00 schrieb Support <s@x.test>:\n> Hallo\n";
    assert_eq!(trimmed(t), "Danke.");
    let t =
        "Obrigado.\n\nEm seg., 3 de jun. de 2024 às 10:00, Suporte <s@x.test> escreveu:\n> Olá\n";
    assert_eq!(trimmed(t), "Obrigado.");
}

#[test]
fn bottom_posting_and_inline_answers_keep_the_new_lines() {
    let t = "On Mon, 3 Jun 2024 at 10:00, Support <s@x.test> wrote:\n> Which plan?\n\nThe yearly one.\n";
    assert_eq!(trimmed(t), "The yearly one.");
    let t = "El lun, 3 jun 2024, Soporte escribió:\n> ¿Qué plan?\nEl anual.\n> ¿Cuándo?\nHoy.\n";
    assert_eq!(trimmed(t), "El anual.\nHoy.");
}

#[test]
fn trailing_quote_without_header() {
    assert_eq!(trimmed("Yes.\n\n> Do you agree?\n> Really?"), "Yes.");
}

#[test]
fn whole_quote_returns_the_original() {
    untouched("> only a quote\n> nothing new\n");
    untouched("On Mon, 3 Jun 2024, Ana wrote:\n> only history\n");
    untouched("-----Original Message-----\nFrom: Ana\nSent: Monday\n\nOld\n");
    untouched("");
    untouched("\n\n");
}

#[test]
fn ordinary_text_is_left_alone() {
    untouched("Hello,\n\nno quotes here.\n\nAna");
    // Not attributions: no date or address, or not at the start of a line.
    untouched("On the phone you wrote:\nthe plan is fine.\n\nAna");
    untouched("I said: On Monday, 3 Jun, she wrote: hi\nbye");
    untouched("El martes escribió:\nque vendría.\n");
    // A "From:" line alone is not an Outlook header block.
    untouched("From: my side all is fine.\nThanks");
}

#[test]
fn forwarded_mail_is_content_not_history() {
    let t = "Please see the mail below.\n\n---------- Forwarded message ---------\n\
             From: Bank <b@bank.example>\nDate: Mon, Jun 3, 2024\nSubject: Invoice\n\nPay now\n";
    untouched(t);
    let t = "FYI\n\nBegin forwarded message:\n\nFrom: Bank <b@bank.example>\n\
             Subject: Invoice\nDate: 3 June 2024\n\nPay now\n";
    untouched(t);
}
