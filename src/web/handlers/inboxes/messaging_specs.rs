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
    /// Catalog keys: the label, and the hint under the input (empty: none).
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

const BASE_HINT: &str = "inboxes-h-base";
const SID_HINT: &str = "inboxes-h-sid";
const VERIFY_HINT: &str = "inboxes-h-verify";
const APP_SECRET_HINT: &str = "inboxes-h-app-secret";

pub(super) const SPECS: &[Spec] = &[
    spec(
        "whatsapp_cloud",
        "whatsapp_phone_number_id",
        "inboxes-f-phone-number-id",
        false,
        "106540352242922",
        "inboxes-h-phone-number-id",
    ),
    spec(
        "whatsapp_cloud",
        "whatsapp_access_token",
        "inboxes-f-access-token",
        true,
        "",
        "inboxes-h-access-token",
    ),
    spec(
        "whatsapp_cloud",
        "whatsapp_app_secret",
        "inboxes-f-app-secret",
        true,
        "",
        APP_SECRET_HINT,
    ),
    spec(
        "whatsapp_cloud",
        "whatsapp_verify_token",
        "inboxes-f-verify-token",
        true,
        "",
        VERIFY_HINT,
    ),
    spec(
        "whatsapp_cloud",
        "whatsapp_waba_id",
        "wasync-f-waba-id",
        false,
        "102290129340398",
        "wasync-h-waba-id",
    ),
    spec(
        "whatsapp_twilio",
        "whatsapp_account_sid",
        "inboxes-f-account-sid",
        false,
        "AC…",
        SID_HINT,
    ),
    spec(
        "whatsapp_twilio",
        "whatsapp_auth_token",
        "inboxes-f-auth-token",
        true,
        "",
        "",
    ),
    spec(
        "whatsapp_twilio",
        "whatsapp_from",
        "inboxes-f-whatsapp-sender",
        false,
        "+14155238886",
        "inboxes-h-whatsapp-from",
    ),
    spec(
        "whatsapp_base",
        "whatsapp_api_base",
        "inboxes-f-api-base",
        false,
        "https://graph.facebook.com/v21.0",
        BASE_HINT,
    ),
    spec(
        "sms",
        "sms_account_sid",
        "inboxes-f-account-sid",
        false,
        "AC…",
        SID_HINT,
    ),
    spec(
        "sms",
        "sms_auth_token",
        "inboxes-f-auth-token",
        true,
        "",
        "",
    ),
    spec(
        "sms",
        "sms_from",
        "inboxes-f-sender",
        false,
        "+14155238886",
        "inboxes-h-sms-from",
    ),
    spec(
        "sms_base",
        "sms_api_base",
        "inboxes-f-api-base",
        false,
        "https://api.twilio.com",
        BASE_HINT,
    ),
    spec(
        "messenger",
        "messenger_page_id",
        "inboxes-f-page-id",
        false,
        "107124681722434",
        "inboxes-h-page-id",
    ),
    spec(
        "messenger",
        "messenger_page_access_token",
        "inboxes-f-page-access-token",
        true,
        "",
        "inboxes-h-page-access-token",
    ),
    spec(
        "messenger",
        "messenger_app_secret",
        "inboxes-f-app-secret",
        true,
        "",
        APP_SECRET_HINT,
    ),
    spec(
        "messenger",
        "messenger_verify_token",
        "inboxes-f-verify-token",
        true,
        "",
        VERIFY_HINT,
    ),
    spec(
        "messenger_base",
        "messenger_api_base",
        "inboxes-f-api-base",
        false,
        "https://graph.facebook.com/v21.0",
        BASE_HINT,
    ),
    spec(
        "telegram",
        "telegram_bot_token",
        "inboxes-f-bot-token",
        true,
        "123456789:AA…",
        "inboxes-h-bot-token",
    ),
    spec(
        "telegram_base",
        "telegram_api_base",
        "inboxes-f-api-base",
        false,
        "https://api.telegram.org",
        BASE_HINT,
    ),
];

/// The catalog key of a messaging field code's name (`whatsapp.phone_number_id`).
pub fn label(field: &str) -> Option<&'static str> {
    let named = match field {
        "whatsapp" => "inboxes-f-whatsapp",
        "sms" => "inboxes-f-sms",
        "messenger" => "inboxes-f-messenger",
        "telegram" => "inboxes-f-telegram",
        "whatsapp.provider" => "inboxes-f-whatsapp-provider",
        "sms.provider" => "inboxes-f-sms-provider",
        "telegram.mode" => "inboxes-f-telegram-mode",
        _ => "",
    };
    if !named.is_empty() {
        return Some(named);
    }
    let name = field.replacen('.', "_", 1);
    SPECS.iter().find(|s| s.name == name).map(|s| s.label)
}
