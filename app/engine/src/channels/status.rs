//! What the composer shows about a conversation's channel: the reply window (time left, or
//! why free text can't go) and the approved templates, from the adapter's rules and the
//! contact's last inbound message. Also sending a template.

use super::Connected;
use crate::error::{EngineError, Result, Rule};
use crate::store::entities::conversation_link;
use crate::Engine;
use sea_orm::EntityTrait;
use switchboard_channels::{WindowClosed, WindowStatus, WindowVia};
use switchboard_domain::conversation::{AgentRef, Command};
use switchboard_domain::{Channel, MessageBody, TemplateRef};
use switchboard_wire::inbox::{ChannelStatus, ReplyWindowState, TemplateInfo};
use uuid::Uuid;

/// Why free text can't go, in plain words for the agent.
pub fn closed_reason(channel: Channel, closed: &WindowClosed) -> String {
    match closed {
        WindowClosed::NoInboundMessage => format!("The contact hasn't written to us on {} yet, so we can't write first.", channel.label()),
        WindowClosed::Expired { templates_allowed: true, .. } => format!(
            "The 24-hour reply window has closed: {} accepts free text only within 24 hours of the contact's last message. Send an approved template instead.",
            channel.label()
        ),
        WindowClosed::Expired { templates_allowed: false, .. } => format!(
            "The reply window has closed: {} accepts replies only for a while after the contact's last message. They need to write again first.",
            channel.label()
        ),
    }
}

impl Engine {
    /// The conversation's account on its active channel, with the link that names it.
    async fn connected_for(
        &self,
        conversation_id: Uuid,
    ) -> Result<Option<(conversation_link::Model, std::sync::Arc<Connected>)>> {
        let state = self
            .state(conversation_id)
            .await?
            .ok_or(EngineError::NotFound(crate::Missing::Conversation))?;
        let channel = state.active_channel;
        let Some(link) =
            conversation_link::Entity::find_by_id((conversation_id, channel.as_str().to_string()))
                .one(&self.db().read)
                .await?
        else {
            return Ok(None);
        };
        Ok(self
            .channels()
            .find(channel, &link.account)
            .map(|c| (link, c)))
    }

    /// The composer's view of the conversation's channel at `now`.
    pub async fn channel_status(&self, conversation_id: Uuid) -> Result<ChannelStatus> {
        let state = self
            .state(conversation_id)
            .await?
            .ok_or(EngineError::NotFound(crate::Missing::Conversation))?;
        let channel = state.active_channel;
        let Some((link, connected)) = self.connected_for(conversation_id).await? else {
            return Ok(ChannelStatus {
                channel,
                window: ReplyWindowState::Unlimited,
                templates: vec![],
            });
        };
        let window = match connected.adapter.window(link.last_inbound_at, crate::now()) {
            WindowStatus::Unlimited => ReplyWindowState::Unlimited,
            WindowStatus::Open { closes_at_ms, via } => ReplyWindowState::Open {
                closes_at: closes_at_ms,
                tag_only: via == WindowVia::HumanAgentTag,
            },
            WindowStatus::Closed(closed) => {
                let templates = matches!(
                    closed,
                    WindowClosed::Expired {
                        templates_allowed: true,
                        ..
                    }
                ) && !connected.templates.is_empty();
                ReplyWindowState::Closed {
                    reason: closed_reason(channel, &closed),
                    templates,
                }
            }
        };
        let templates = if connected.adapter.capabilities().templates {
            connected
                .templates
                .iter()
                .map(|t| TemplateInfo {
                    name: t.name.clone(),
                    language: t.language.clone(),
                    text: t.text.clone(),
                    parameters: t.parameters(),
                })
                .collect()
        } else {
            vec![]
        };
        Ok(ChannelStatus {
            channel,
            window,
            templates,
        })
    }

    /// An agent sends one of the account's approved templates, parameters filled in; stored
    /// once per client id like any reply.
    pub async fn send_template(
        &self,
        conversation_id: Uuid,
        agent: AgentRef,
        name: &str,
        language: &str,
        parameters: Vec<String>,
        client_msg_id: Uuid,
    ) -> Result<crate::conversations::Appended> {
        let Some((_, connected)) = self.connected_for(conversation_id).await? else {
            return Err(EngineError::Refused(
                switchboard_domain::conversation::Refusal::NoTemplates,
            ));
        };
        let template = connected
            .templates
            .iter()
            .find(|t| t.name == name && t.language == language)
            .ok_or_else(|| EngineError::Invalid(Rule::UnknownTemplate(name.to_string())))?;
        let parameters: Vec<String> = parameters
            .into_iter()
            .map(|p| p.trim().to_string())
            .collect();
        if parameters.len() != template.parameters() || parameters.iter().any(String::is_empty) {
            return Err(EngineError::Invalid(Rule::TemplateParameters {
                expected: template.parameters(),
            }));
        }
        let body = MessageBody::parse(&template.render(&parameters))?;
        let template = TemplateRef {
            name: template.name.clone(),
            language: template.language.clone(),
            parameters,
        };
        self.append(
            conversation_id,
            Command::SendTemplate {
                agent,
                body,
                template,
                client_msg_id: Some(client_msg_id),
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::Template;

    #[test]
    fn a_template_counts_and_fills_its_parameters() {
        let t = Template {
            name: "order_update".into(),
            language: "en_US".into(),
            text: "Hi {{1}}, order {{2}} shipped. {{1}}!".into(),
        };
        assert_eq!(t.parameters(), 2);
        assert_eq!(
            t.render(&["Ada".into(), "1042".into()]),
            "Hi Ada, order 1042 shipped. Ada!"
        );
        let plain = Template {
            name: "hello".into(),
            language: "en".into(),
            text: "Hello {{ name }} there".into(),
        };
        assert_eq!(plain.parameters(), 0);
    }
}
