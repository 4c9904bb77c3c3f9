//! `POST /conversations/{id}/typing`: the agent's composer says it is (not) typing, so a
//! website visitor sees "Ana is typing…". Fire and forget: answers 204.

use crate::domain::conversation::ConversationId;
use crate::web::AppState;
use crate::web::auth::Signed;
use crate::web::error::WebError;
use crate::web::forms::Form;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct TypingForm {
    #[serde(default)]
    active: String,
}

pub async fn conversation_typing(
    Signed(auth): Signed,
    st: web::Data<AppState>,
    id: web::Path<u64>,
    Form(f): Form<TypingForm>,
) -> Result<HttpResponse, WebError> {
    let (id, active) = (ConversationId(*id), f.active == "1");
    st.services
        .blocking(move |s| s.agent_typing(&auth.agent, id, active))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
