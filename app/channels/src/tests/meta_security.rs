use super::*;
use crate::meta::{fake, handshake, sign, verify, MetaWebhook};
use serde_json::json;

fn signed(secret: &str, body: &[u8]) -> WebhookRequest {
    fake::signed_request("https://example.test/webhooks/meta", secret, body.to_vec())
}

#[test]
fn signature_vectors() {
    assert_eq!(
        sign("secret", b"test"),
        "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"
    );
    assert_eq!(
        sign(
            "app_secret_123",
            br#"{"object":"whatsapp_business_account","entry":[]}"#
        ),
        "sha256=02fe0c96d28c59ddb7cf81eff0ca05809b360ba73b63c28210b5906a0a107d1f"
    );
    let req = WebhookRequest::post(
        "https://e/w",
        Headers::from_pairs([(
            "x-hub-signature-256",
            "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914",
        )]),
        b"test".to_vec(),
    );
    assert_eq!(verify(&req, "secret"), Ok(()));
    let wa = signed(
        "app_secret_123",
        br#"{"object":"whatsapp_business_account","entry":[]}"#,
    );
    assert_eq!(
        wa.headers.get("X-Hub-Signature-256"),
        Some("sha256=02fe0c96d28c59ddb7cf81eff0ca05809b360ba73b63c28210b5906a0a107d1f")
    );
    assert_eq!(
        MetaWebhook::whatsapp().receive(&wa, &WebhookSecrets::new("app_secret_123")),
        Ok(vec![])
    );
}

#[test]
fn forged_missing_malformed_and_reserialized_are_refused() {
    let body = br#"{"object": "page", "entry": []}"#;
    let good = signed("s3cret", body);
    assert_eq!(verify(&good, "s3cret"), Ok(()));
    assert_eq!(verify(&good, "other"), Err(WebhookError::BadSignature));
    assert_eq!(verify(&good, ""), Err(WebhookError::NoSecret));
    // Re-serialised JSON (same value, different bytes) must not validate.
    let value: serde_json::Value = serde_json::from_slice(body).unwrap();
    let mut reser = good.clone();
    reser.body = serde_json::to_vec(&value).unwrap();
    assert_ne!(reser.body, body.to_vec());
    assert_eq!(verify(&reser, "s3cret"), Err(WebhookError::BadSignature));
    let with = |h: &str| {
        WebhookRequest::post(
            "https://e/w",
            Headers::from_pairs([("X-Hub-Signature-256", h)]),
            body.to_vec(),
        )
    };
    let hex = sign("s3cret", body)
        .trim_start_matches("sha256=")
        .to_string();
    assert_eq!(
        verify(&with(&hex), "s3cret"),
        Err(WebhookError::MalformedSignature),
        "prefix required"
    );
    assert_eq!(
        verify(&with("sha256=zz"), "s3cret"),
        Err(WebhookError::MalformedSignature)
    );
    assert_eq!(
        verify(&with("sha256=abcd"), "s3cret"),
        Err(WebhookError::MalformedSignature)
    );
    assert_eq!(
        verify(&with("sha1=abcd"), "s3cret"),
        Err(WebhookError::MalformedSignature)
    );
    assert_eq!(
        verify(&with(&format!("sha256={}", hex.to_uppercase())), "s3cret"),
        Ok(())
    );
    let unsigned = WebhookRequest::post("https://e/w", Headers::new(), body.to_vec());
    assert_eq!(
        verify(&unsigned, "s3cret"),
        Err(WebhookError::MissingSignature("X-Hub-Signature-256"))
    );
    assert_eq!(WebhookError::MissingSignature("X").status(), 403);
    // receive() refuses before parsing.
    assert_eq!(
        MetaWebhook::meta().receive(&unsigned, &WebhookSecrets::new("s3cret")),
        Err(WebhookError::MissingSignature("X-Hub-Signature-256"))
    );
}

#[test]
fn get_handshake() {
    let secrets = WebhookSecrets::new("app").with_verify_token("our-token");
    let req = WebhookRequest::new(Method::Get, "https://example.test/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=our-token");
    assert_eq!(handshake(&req, &secrets), Ok("1158201444".to_string()));
    assert_eq!(
        MetaWebhook::whatsapp().handshake(
            &fake::handshake_request("https://example.test/webhooks/whatsapp", "our-token", "42"),
            &secrets
        ),
        Ok("42".into())
    );
    let wrong = fake::handshake_request("https://e/w", "guess", "42");
    assert_eq!(
        handshake(&wrong, &secrets),
        Err(WebhookError::BadVerifyToken)
    );
    assert_eq!(WebhookError::BadVerifyToken.status(), 403);
    let mode = WebhookRequest::new(
        Method::Get,
        "https://e/w?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=our-token",
    );
    assert_eq!(handshake(&mode, &secrets), Err(WebhookError::NotAHandshake));
    let no_challenge = WebhookRequest::new(
        Method::Get,
        "https://e/w?hub.mode=subscribe&hub.verify_token=our-token",
    );
    assert_eq!(
        handshake(&no_challenge, &secrets),
        Err(WebhookError::MissingParam("hub.challenge"))
    );
    assert_eq!(
        handshake(&req, &WebhookSecrets::new("app")),
        Err(WebhookError::NoSecret)
    );
    let post = WebhookRequest::post("https://e/w?hub.mode=subscribe", Headers::new(), vec![]);
    assert_eq!(
        handshake(&post, &secrets),
        Err(WebhookError::MethodNotAllowed)
    );
    assert_eq!(
        crate::telegram::TelegramWebhook.handshake(&req, &secrets),
        Err(WebhookError::HandshakeUnsupported)
    );
}

#[test]
fn ascii_escaped_json_round_trips_and_signs_its_bytes() {
    let v = json!({"t": "olá 😀"});
    let bytes = fake::body_bytes(&v);
    assert_eq!(bytes, br#"{"t":"ol\u00e1 \ud83d\ude00"}"#.to_vec());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&bytes).unwrap(),
        v
    );
    let req = signed("k", &bytes);
    assert_eq!(verify(&req, "k"), Ok(()));
}

#[test]
fn unknown_object_and_bad_bodies() {
    let got = only(parse_meta(r#"{"object":"user","entry":[{"id":"1"}]}"#));
    assert_eq!(
        got.event,
        InboundEvent::Ignored(Ignored::UnknownObject {
            object: "user".into()
        })
    );
    assert_eq!(
        meta::parse_body(b"not json", Channel::Messenger),
        Err(WebhookError::MalformedBody("json"))
    );
    assert_eq!(
        meta::parse_body(b"[1,2]", Channel::Messenger),
        Err(WebhookError::MalformedBody("json"))
    );
    assert_eq!(
        meta::parse_body(b"{\"entry\":[]}", Channel::Messenger),
        Err(WebhookError::MissingField("object"))
    );
    // Non-object entries and wrong types are skipped, not fatal.
    assert_eq!(
        parse_meta(
            r#"{"object":"page","entry":[1,"x",null,{"id":5,"messaging":"nope","changes":{}}]}"#
        ),
        vec![]
    );
}

#[test]
fn registry_lists_every_channel_once() {
    let ids: Vec<&str> = adapters().iter().map(|a| a.id()).collect();
    assert_eq!(
        ids,
        vec![
            "twilio_sms",
            "twilio_whatsapp",
            "whatsapp_cloud",
            "messenger",
            "page_comments",
            "instagram",
            "telegram"
        ]
    );
    let names: Vec<&str> = endpoints().iter().map(|e| e.name()).collect();
    assert_eq!(names, vec!["twilio", "whatsapp", "meta", "telegram"]);
    assert_eq!(
        adapter("instagram").map(|a| a.channel()),
        Some(Channel::Instagram)
    );
    assert!(adapter("fax").is_none());
    assert!(endpoint("meta").is_some());
    for c in [
        Channel::Sms,
        Channel::Whatsapp,
        Channel::Messenger,
        Channel::PageComment,
        Channel::Instagram,
        Channel::Telegram,
    ] {
        assert!(adapters().iter().any(|a| a.channel() == c), "{c:?}");
    }
}

#[test]
fn secrets_are_redacted_in_debug() {
    let a = ApiAuth::Bearer {
        token: "very-secret".into(),
    };
    assert!(!format!("{a:?}").contains("very-secret"));
    let s = WebhookSecrets::new("very-secret").with_verify_token("also-secret");
    let dbg = format!("{s:?}");
    assert!(
        !dbg.contains("very-secret") && !dbg.contains("also-secret"),
        "{dbg}"
    );
    let h = Headers::from_pairs([("Authorization", "Bearer very-secret")]);
    assert!(!format!("{h:?}").contains("very-secret"));
}
