//! Outgoing e-mail: invitations and password resets. [`SmtpMailer`] speaks SMTP (lettre, with
//! STARTTLS or TLS as the URL says) to any mail server or relay; without `SMTP_URL` nothing is
//! sent and callers fall back (an invitation link is shown once to the inviting admin).
//! Message bodies hold one-time links: they are never logged.

use async_trait::async_trait;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("no mail server is configured")]
    NotConfigured,
    #[error("bad address: {0}")]
    Address(String),
    #[error("mail server refused or unreachable: {0}")]
    Transport(String),
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// True when messages can actually be sent.
    fn is_configured(&self) -> bool;
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError>;
}

/// No mail server: every send answers `NotConfigured`.
pub struct NoMailer;

#[async_trait]
impl Mailer for NoMailer {
    fn is_configured(&self) -> bool {
        false
    }
    async fn send(&self, _: &str, _: &str, _: &str) -> Result<(), MailError> {
        Err(MailError::NotConfigured)
    }
}

/// SMTP delivery, from a URL such as `smtp://user:pass@mail.example.com:587?tls=required`,
/// `smtps://…:465`, or `smtp://127.0.0.1:2525` (plain, for a local relay).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Transport(e.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        let from = from
            .parse()
            .map_err(|_| MailError::Address(from.to_string()))?;
        Ok(SmtpMailer { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    fn is_configured(&self) -> bool {
        true
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|_| MailError::Address(to.to_string()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| MailError::Address(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| MailError::Transport(e.to_string()))
    }
}
