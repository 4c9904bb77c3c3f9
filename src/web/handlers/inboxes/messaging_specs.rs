//! The inputs of the messaging inbox form: each channel's fields, their labels and
//! hints, and the words of each field code in messages.

/// One input of a channel's section.
pub(super) struct Spec {
    /// Which part of the form it sits in: `whatsapp_cloud`, `whatsapp_twilio`,
    /// `whatsapp_base`, `sms`, `sms_base`, `messenger`, `messenger_base`, `telegram`,
    /// `telegram_base`.
    pub(super) group: &'static str,
    /// The input's name: the service's field code with its first `.` as `_`.
    pub(super) name: &'static str,
    pub(super) label: &'static str,
    pub(super) secret: bool,
    pub(super) placeholder: &'static str,
    pub(super) hint: &'static str,
}

const fn spec(
    group: &'static str,
    name: &'static str,
    label: &'static str,
    secret: bool,
    placeholder: &'static str,
    hint: &'static str,
) -> Spec {
    Spec {
        group,
        name,
        label,
        secret,
        placeholder,
        hint,
    }
}

const BASE_HINT: &str =
    "For an on-premises gateway or a test server. Empty: the provider's public endpoint.";
const SID_HINT: &str = "Twilio Console → Account info: AC followed by 32 characters.";
const VERIFY_HINT: &str = "A phrase you choose; type the same one in Meta's webhook settings.";
const APP_SECRET_HINT: &str =
    "App settings → Basic in Meta's App Dashboard. Proves that webhooks come from Meta.";

pub(super) const SPECS: &[Spec] = &[
    spec(
        "whatsapp_cloud",
        "whatsapp_phone_number_id",
        "Phone number ID",
        false,
        "106540352242922",
        "WhatsApp → API Setup in Meta's App Dashboard (the id, not the number).",
    ),
    spec(
        "whatsapp_cloud",
        "whatsapp_access_token",
        "Access token",
        true,
        "",
        "A System User token with the whatsapp_business_messaging permission.",
    ),
    spec(
        "whatsapp_cloud",
        "whatsapp_app_secret",
        "App secret",
        true,
        "",
        APP_SECRET_HINT,
    ),
    spec(
        "whatsapp_cloud",
        "whatsapp_verify_token",
        "Verify token",
        true,
        "",
        VERIFY_HINT,
    ),
    spec(
        "whatsapp_twilio",
        "whatsapp_account_sid",
        "Account SID",
        false,
        "AC…",
        SID_HINT,
    ),
    spec(
        "whatsapp_twilio",
        "whatsapp_auth_token",
        "Auth token",
        true,
        "",
        "",
    ),
    spec(
        "whatsapp_twilio",
        "whatsapp_from",
        "WhatsApp sender",
        false,
        "+14155238886",
        "The number of your Twilio WhatsApp sender.",
    ),
    spec(
        "whatsapp_base",
        "whatsapp_api_base",
        "API base URL",
        false,
        "https://graph.facebook.com/v21.0",
        BASE_HINT,
    ),
    spec(
        "sms",
        "sms_account_sid",
        "Account SID",
        false,
        "AC…",
        SID_HINT,
    ),
    spec("sms", "sms_auth_token", "Auth token", true, "", ""),
    spec(
        "sms",
        "sms_from",
        "Sender",
        false,
        "+14155238886",
        "A Twilio number, a Messaging Service SID (MG…) or an RCS sender (rcs:…).",
    ),
    spec(
        "sms_base",
        "sms_api_base",
        "API base URL",
        false,
        "https://api.twilio.com",
        BASE_HINT,
    ),
    spec(
        "messenger",
        "messenger_page_id",
        "Page ID",
        false,
        "107124681722434",
        "Your Facebook page's id (Page → About → Page transparency).",
    ),
    spec(
        "messenger",
        "messenger_page_access_token",
        "Page access token",
        true,
        "",
        "Messenger → Settings → Access tokens in Meta's App Dashboard.",
    ),
    spec(
        "messenger",
        "messenger_app_secret",
        "App secret",
        true,
        "",
        APP_SECRET_HINT,
    ),
    spec(
        "messenger",
        "messenger_verify_token",
        "Verify token",
        true,
        "",
        VERIFY_HINT,
    ),
    spec(
        "messenger_base",
        "messenger_api_base",
        "API base URL",
        false,
        "https://graph.facebook.com/v21.0",
        BASE_HINT,
    ),
    spec(
        "telegram",
        "telegram_bot_token",
        "Bot token",
        true,
        "123456789:AA…",
        "The token @BotFather gave you for the bot.",
    ),
    spec(
        "telegram_base",
        "telegram_api_base",
        "API base URL",
        false,
        "https://api.telegram.org",
        BASE_HINT,
    ),
];

/// The words people see for a messaging field code (`whatsapp.phone_number_id`).
pub fn label(field: &str) -> Option<&'static str> {
    let named = match field {
        "whatsapp" => "WhatsApp settings",
        "sms" => "SMS settings",
        "messenger" => "Messenger settings",
        "telegram" => "Telegram settings",
        "whatsapp.provider" => "WhatsApp provider",
        "sms.provider" => "SMS provider",
        "telegram.mode" => "How updates arrive",
        _ => "",
    };
    if !named.is_empty() {
        return Some(named);
    }
    let name = field.replacen('.', "_", 1);
    SPECS.iter().find(|s| s.name == name).map(|s| s.label)
}
