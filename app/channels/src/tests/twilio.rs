use super::*;
use crate::twilio::{
    fake, sign, signature_string, url_with_body_hash, verify, TwilioAdapter, TwilioWebhook,
};
use std::time::Duration;

fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn sdk_params() -> Vec<(String, String)> {
    p(&[
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ])
}

const SDK_URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

fn form_request(url: &str, params: &[(String, String)], signature: &str) -> WebhookRequest {
    let headers = Headers::from_pairs([
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Twilio-Signature", signature),
    ]);
    WebhookRequest::post(url, headers, fake::form_body(params).into_bytes())
}

fn sms_fixture() -> fake::InboundMessage {
    fake::InboundMessage {
        account_sid: "AC00000000000000000000000000000001".into(),
        message_sid: "SM00000000000000000000000000000001".into(),
        from: "+15005550006".into(),
        to: "+15005550001".into(),
        body: "Hello there".into(),
        ..Default::default()
    }
}

#[test]
fn sdk_vector_string_and_signature() {
    assert_eq!(
        signature_string(SDK_URL, &sdk_params()),
        "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212"
    );
    assert_eq!(
        sign("12345", SDK_URL, &sdk_params()),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    );
    assert_eq!(
        sign(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &sdk_params()
        ),
        "kvajT1Ptam85bY51eRf/AJRuM3w="
    );
}

#[test]
fn sdk_vector_verifies_with_and_without_port() {
    for (url, sig) in [
        (SDK_URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        (SDK_URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),
        (
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
        ),
        (
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            "kvajT1Ptam85bY51eRf/AJRuM3w=",
        ),
    ] {
        assert_eq!(
            verify(&form_request(url, &sdk_params(), sig), "12345"),
            Ok(()),
            "{url} {sig}"
        );
    }
    // A different port is not the default one: refused.
    let r = form_request(
        "https://mycompany.com:8443/myapp.php?foo=1&bar=2",
        &sdk_params(),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
    );
    assert_eq!(verify(&r, "12345"), Err(WebhookError::BadSignature));
}

#[test]
fn json_variant_vector() {
    let body = br#"{"property": "value", "boolean": true}"#;
    let url = url_with_body_hash(SDK_URL, body);
    assert_eq!(url, "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620");
    assert_eq!(sign("12345", &url, &[]), "a9nBmqA0ju/hNViExpshrM61xv4=");
    let headers = Headers::from_pairs([
        ("Content-Type", "application/json"),
        ("X-Twilio-Signature", "a9nBmqA0ju/hNViExpshrM61xv4="),
    ]);
    let ok = WebhookRequest::post(url.clone(), headers.clone(), body.to_vec());
    assert_eq!(verify(&ok, "12345"), Ok(()));
    let tampered = WebhookRequest::post(
        url,
        headers,
        br#"{"property": "other", "boolean": true}"#.to_vec(),
    );
    assert_eq!(
        verify(&tampered, "12345"),
        Err(WebhookError::BodyHashMismatch)
    );
}

#[test]
fn sms_fixture_body_and_signature_match_channels_md() {
    let params = sms_fixture().params();
    assert_eq!(
        fake::form_body(&params),
        "AccountSid=AC00000000000000000000000000000001&Body=Hello+there&From=%2B15005550006&MessageSid=SM00000000000000000000000000000001&NumMedia=0&To=%2B15005550001"
    );
    assert_eq!(
        sign(
            "test_auth_token",
            "https://example.test/twilio/sms",
            &params
        ),
        "NjlR+8V/batFennt5Lp3kxEsL0s="
    );
    let req = fake::signed_request(
        "https://example.test/twilio/sms",
        "test_auth_token",
        &params,
        Some("2b7e1c4e-0000-4000-8000-000000000001"),
    );
    assert_eq!(
        req.headers.get("x-twilio-signature"),
        Some("NjlR+8V/batFennt5Lp3kxEsL0s=")
    );
    assert_eq!(
        TwilioWebhook.verify(&req, &WebhookSecrets::new("test_auth_token")),
        Ok(())
    );
}

#[test]
fn the_literal_fixture_request_validates() {
    let body = "AccountSid=AC00000000000000000000000000000001&Body=Hello+there&From=%2B15005550006&MessageSid=SM00000000000000000000000000000001&NumMedia=0&To=%2B15005550001";
    let headers = Headers::from_pairs([
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Twilio-Signature", "NjlR+8V/batFennt5Lp3kxEsL0s="),
    ]);
    let req = WebhookRequest::post(
        "https://example.test/twilio/sms",
        headers,
        body.as_bytes().to_vec(),
    );
    assert_eq!(verify(&req, "test_auth_token"), Ok(()));
}

#[test]
fn forged_missing_and_malformed_signatures_are_refused() {
    let params = sms_fixture().params();
    let url = "https://example.test/twilio/sms";
    assert_eq!(
        verify(
            &form_request(url, &params, "NjlR+8V/batFennt5Lp3kxEsL0s="),
            "other_token"
        ),
        Err(WebhookError::BadSignature)
    );
    let forged = sign("attacker", url, &params);
    assert_eq!(
        verify(&form_request(url, &params, &forged), "test_auth_token"),
        Err(WebhookError::BadSignature)
    );
    let mut missing = form_request(url, &params, "x");
    missing.headers = Headers::from_pairs([("Content-Type", "application/x-www-form-urlencoded")]);
    assert_eq!(
        verify(&missing, "test_auth_token"),
        Err(WebhookError::MissingSignature("X-Twilio-Signature"))
    );
    for bad in [
        "not base64!!",
        "",
        "AAAA",
        "NjlR+8V/batFennt5Lp3kxEsL0s=AAAA",
    ] {
        assert_eq!(
            verify(&form_request(url, &params, bad), "test_auth_token"),
            Err(WebhookError::MalformedSignature),
            "{bad:?}"
        );
    }
    assert_eq!(
        verify(
            &form_request(url, &params, "NjlR+8V/batFennt5Lp3kxEsL0s="),
            ""
        ),
        Err(WebhookError::NoSecret)
    );
    // Tampered body, same signature.
    let mut tampered = params.clone();
    tampered[1].1 = "Hello therf".into();
    assert_eq!(
        verify(
            &form_request(url, &tampered, "NjlR+8V/batFennt5Lp3kxEsL0s="),
            "test_auth_token"
        ),
        Err(WebhookError::BadSignature)
    );
    // Different URL (Twilio signs the public URL).
    assert_eq!(
        verify(
            &form_request(
                "https://internal:8080/twilio/sms",
                &params,
                "NjlR+8V/batFennt5Lp3kxEsL0s="
            ),
            "test_auth_token"
        ),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn extra_unknown_params_still_validate_but_unsigned_additions_do_not() {
    let mut msg = sms_fixture();
    msg.extra = p(&[
        ("FromCity", "SAN FRANCISCO"),
        ("BrandNewParam", "x y"),
        ("NumSegments", "1"),
    ]);
    let url = "https://example.test/twilio/sms";
    let req = fake::signed_request(url, "test_auth_token", &msg.params(), None);
    assert_eq!(verify(&req, "test_auth_token"), Ok(()));
    let mut appended = req.clone();
    appended.body.extend_from_slice(b"&Injected=1");
    assert_eq!(
        verify(&appended, "test_auth_token"),
        Err(WebhookError::BadSignature)
    );
    // Parsing ignores the unknown keys.
    assert_eq!(
        message(&only(
            TwilioWebhook
                .parse(&req, &WebhookSecrets::default())
                .unwrap()
        ))
        .text
        .as_deref(),
        Some("Hello there")
    );
}

#[test]
fn repeated_names_sort_by_value() {
    let params = p(&[("MediaUrl", "b"), ("MediaUrl", "a"), ("A", "1")]);
    assert_eq!(signature_string("u", &params), "uA1MediaUrlaMediaUrlb");
}

#[test]
fn parses_the_sms_fixture_exactly() {
    let req = fake::signed_request(
        "https://example.test/twilio/sms",
        "test_auth_token",
        &sms_fixture().params(),
        None,
    );
    let got = only(
        TwilioWebhook
            .receive(&req, &WebhookSecrets::new("test_auth_token"))
            .unwrap(),
    );
    let expected = Inbound {
        key: DedupeKey("twilio:SM00000000000000000000000000000001".into()),
        channel: Channel::Sms,
        account: "+15005550001".into(),
        event: InboundEvent::Message(ContactMessage {
            provider_message_id: "SM00000000000000000000000000000001".into(),
            from: Identity {
                address: "+15005550006".into(),
                display_name: None,
                username: None,
            },
            text: Some("Hello there".into()),
            attachments: vec![],
            location: None,
            payload: None,
            sent_at_ms: None,
            reply_to: None,
            comment: None,
        }),
    };
    assert_eq!(got, expected);
}

#[test]
fn parses_whatsapp_via_twilio_with_an_image() {
    let media_url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1";
    let msg = fake::InboundMessage {
        account_sid: "AC1".into(),
        message_sid: "MM00000000000000000000000000000009".into(),
        from: "whatsapp:+15005550006".into(),
        to: "whatsapp:+14155238886".into(),
        body: "".into(),
        media: vec![(media_url.into(), "image/jpeg".into())],
        profile_name: Some("Ana".into()),
        wa_id: Some("15005550006".into()),
        extra: vec![],
    };
    let req = fake::signed_request(
        "https://example.test/twilio/sms",
        "tok",
        &msg.params(),
        None,
    );
    let got = only(
        TwilioWebhook
            .receive(&req, &WebhookSecrets::new("tok"))
            .unwrap(),
    );
    assert_eq!(got.channel, Channel::Whatsapp);
    assert_eq!(got.account, "+14155238886");
    let m = message(&got);
    assert_eq!(
        m.from,
        Identity {
            address: "+15005550006".into(),
            display_name: Some("Ana".into()),
            username: None
        }
    );
    assert_eq!(m.text, None);
    assert_eq!(
        m.attachments,
        vec![Attachment {
            kind: AttachmentKind::Image,
            mime: Some("image/jpeg".into()),
            source: MediaSource::Url {
                url: media_url.into()
            },
            caption: None,
            filename: None,
            size: None,
            sha256: None
        }]
    );
}

fn status(status: &str, code: Option<&str>) -> WebhookRequest {
    let cb = fake::StatusCallback {
        account_sid: "AC1".into(),
        message_sid: "SM00000000000000000000000000000002".into(),
        from: "whatsapp:+14155238886".into(),
        to: "whatsapp:+15005550001".into(),
        status: status.into(),
        error_code: code.map(str::to_string),
    };
    fake::signed_request(
        "https://example.test/twilio/status",
        "tok",
        &cb.params(),
        None,
    )
}

#[test]
fn status_callbacks() {
    let secrets = WebhookSecrets::new("tok");
    let got = only(
        TwilioWebhook
            .receive(&status("delivered", None), &secrets)
            .unwrap(),
    );
    assert_eq!(
        got.key,
        DedupeKey("twilio:SM00000000000000000000000000000002:delivered".into())
    );
    assert_eq!(got.account, "+14155238886");
    assert_eq!(
        got.event,
        InboundEvent::Status(StatusUpdate {
            provider_message_id: "SM00000000000000000000000000000002".into(),
            status: DeliveryStatus::Delivered,
            provider_status: "delivered".into(),
            recipient: Some("+15005550001".into()),
            at_ms: None,
            error: None,
        })
    );
    // Duplicates keep the key.
    assert_eq!(
        only(
            TwilioWebhook
                .receive(&status("delivered", None), &secrets)
                .unwrap()
        )
        .key,
        got.key
    );

    let failed = only(
        TwilioWebhook
            .receive(&status("undelivered", Some("63016")), &secrets)
            .unwrap(),
    );
    let InboundEvent::Status(s) = failed.event else {
        panic!("status expected")
    };
    assert_eq!(s.status, DeliveryStatus::Failed);
    assert_eq!(
        s.error,
        Some(ProviderError {
            code: "63016".into(),
            kind: FailureKind::OutsideWindow,
            reason: "The customer's 24-hour WhatsApp window has closed; send an approved template."
                .into(),
            retryable: false
        })
    );
    let ignored = only(
        TwilioWebhook
            .receive(&status("receiving", None), &secrets)
            .unwrap(),
    );
    assert_eq!(
        ignored.event,
        InboundEvent::Ignored(Ignored::UnknownStatus {
            status: "receiving".into()
        })
    );
}

#[test]
fn get_webhooks_sign_the_url_only_and_parse_the_query() {
    let url = "https://example.test/twilio/sms?MessageSid=SM1&From=%2B15005550006&To=%2B15005550001&Body=Hi";
    let sig = sign("tok", url, &[]);
    let req = WebhookRequest::new(Method::Get, url).header("X-Twilio-Signature", &sig);
    let got = only(
        TwilioWebhook
            .receive(&req, &WebhookSecrets::new("tok"))
            .unwrap(),
    );
    assert_eq!(message(&got).text.as_deref(), Some("Hi"));
}

#[test]
fn missing_message_sid_is_a_bad_request() {
    let req = WebhookRequest::post(
        "https://e/t",
        Headers::new(),
        b"From=%2B1&To=%2B2&Body=x".to_vec(),
    );
    assert_eq!(
        TwilioWebhook.parse(&req, &WebhookSecrets::default()),
        Err(WebhookError::MissingField("MessageSid"))
    );
}

fn account() -> Account {
    let mut a = Account::new(
        "+14155238886",
        "https://api.twilio.com",
        ApiAuth::Basic {
            username: "AC00000000000000000000000000000001".into(),
            password: "secret".into(),
        },
    );
    a.status_callback_url = Some("https://example.test/twilio/status".into());
    a
}

#[test]
fn whatsapp_text_request_matches_channels_md() {
    let out = Outbound::new(
        Channel::Whatsapp,
        "+15005550001",
        text("Thanks, an agent will reply shortly."),
        NOW,
    )
    .last_inbound(NOW - HOUR);
    let req = TwilioAdapter::whatsapp()
        .build_request(&out, &account())
        .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://api.twilio.com/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages.json");
    // base64("AC00000000000000000000000000000001:secret")
    assert_eq!(
        req.headers.get("authorization"),
        Some("Basic QUMwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMTpzZWNyZXQ=")
    );
    assert_eq!(
        req.content_type(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        req.body_text(),
        "To=whatsapp%3A%2B15005550001&From=whatsapp%3A%2B14155238886&Body=Thanks%2C+an+agent+will+reply+shortly.&StatusCallback=https%3A%2F%2Fexample.test%2Ftwilio%2Fstatus"
    );
}

#[test]
fn sms_media_template_and_refusals() {
    let sms = TwilioAdapter::sms();
    let mut acc = account();
    acc.address = "+15005550001".into();
    acc.status_callback_url = None;
    let media = OutboundContent::Attachment {
        kind: AttachmentKind::Image,
        url: "https://cdn.test/a.jpg".into(),
        mime: Some("image/jpeg".into()),
        size: Some(1000),
        caption: Some("Look".into()),
        filename: None,
    };
    let req = sms
        .build_request(
            &Outbound::new(Channel::Sms, "+15005550006", media, NOW),
            &acc,
        )
        .unwrap();
    assert_eq!(
        req.body_text(),
        "To=%2B15005550006&From=%2B15005550001&Body=Look&MediaUrl=https%3A%2F%2Fcdn.test%2Fa.jpg"
    );
    let long = "x".repeat(1601);
    assert_eq!(
        sms.build_request(
            &Outbound::new(Channel::Sms, "+15005550006", text(&long), NOW),
            &acc
        ),
        Err(SendError::TooLong {
            max: 1600,
            actual: 1601
        })
    );
    assert_eq!(
        sms.build_request(
            &Outbound::new(Channel::Sms, "5551234567", text("hi"), NOW),
            &acc
        ),
        Err(SendError::InvalidRecipient("5551234567".into()))
    );
    let tpl = OutboundContent::Template {
        name: "HX1".into(),
        language: "en".into(),
        parameters: vec![],
    };
    assert_eq!(
        sms.build_request(&Outbound::new(Channel::Sms, "+15005550006", tpl, NOW), &acc),
        Err(SendError::Unsupported {
            channel: Channel::Sms,
            action: Action::Template
        })
    );
    let mut api_key = acc.clone();
    api_key.auth = ApiAuth::Bearer { token: "t".into() };
    assert!(matches!(
        sms.build_request(
            &Outbound::new(Channel::Sms, "+15005550006", text("hi"), NOW),
            &api_key
        ),
        Err(SendError::Misconfigured(_))
    ));
    // Messaging Service replaces From.
    let mut mg = acc;
    mg.messaging_service_sid = Some("MG1".into());
    assert_eq!(
        sms.build_request(
            &Outbound::new(Channel::Sms, "+15005550006", text("hi"), NOW),
            &mg
        )
        .unwrap()
        .body_text(),
        "To=%2B15005550006&MessagingServiceSid=MG1&Body=hi"
    );
}

#[test]
fn whatsapp_window_and_template() {
    let wa = TwilioAdapter::whatsapp();
    let late = Outbound::new(Channel::Whatsapp, "+15005550001", text("hi"), NOW)
        .last_inbound(NOW - 25 * HOUR);
    assert_eq!(
        wa.build_request(&late, &account()),
        Err(SendError::OutsideWindow(WindowClosed::Expired {
            closed_at_ms: NOW - HOUR,
            templates_allowed: true
        }))
    );
    let never = Outbound::new(Channel::Whatsapp, "+15005550001", text("hi"), NOW);
    assert_eq!(
        wa.build_request(&never, &account()),
        Err(SendError::OutsideWindow(WindowClosed::NoInboundMessage))
    );
    let tpl = OutboundContent::Template {
        name: "HX0123".into(),
        language: "en".into(),
        parameters: vec!["Ana".into()],
    };
    let req = wa
        .build_request(
            &Outbound::new(Channel::Whatsapp, "+15005550001", tpl, NOW),
            &account(),
        )
        .unwrap();
    assert_eq!(
        req.body_text(),
        "To=whatsapp%3A%2B15005550001&From=whatsapp%3A%2B14155238886&ContentSid=HX0123&ContentVariables=%7B%221%22%3A%22Ana%22%7D&StatusCallback=https%3A%2F%2Fexample.test%2Ftwilio%2Fstatus"
    );
}

#[test]
fn response_mapping() {
    let a = TwilioAdapter::whatsapp();
    let created = fake::message_created_json(
        "SM00000000000000000000000000000002",
        "AC1",
        "whatsapp:+14155238886",
        "whatsapp:+15005550001",
        "x",
        "queued",
    );
    assert_eq!(
        a.read_response(201, &Headers::new(), created.as_bytes()),
        SendOutcome::Accepted {
            provider_message_id: Some("SM00000000000000000000000000000002".into())
        }
    );
    let h = Headers::from_pairs([("Retry-After", "7")]);
    assert_eq!(
        a.read_response(
            429,
            &h,
            fake::error_json(20429, "Too Many Requests", 429).as_bytes()
        ),
        SendOutcome::Retry {
            after: Some(Duration::from_secs(7)),
            code: Some("20429".into())
        }
    );
    assert_eq!(
        a.read_response(503, &Headers::new(), b"oops"),
        SendOutcome::Retry {
            after: None,
            code: None
        }
    );
    assert_eq!(
        a.read_response(400, &Headers::new(), fake::error_json(21610, "Attempt to send to unsubscribed recipient", 400).as_bytes()),
        SendOutcome::Permanent {
            code: "21610".into(),
            kind: FailureKind::OptedOut,
            reason: "The customer has opted out (replied STOP); they must text START before we can message them again.".into()
        }
    );
    assert_eq!(
        a.read_response(
            400,
            &Headers::new(),
            fake::error_json(63016, "outside window", 400).as_bytes()
        ),
        SendOutcome::Permanent {
            code: "63016".into(),
            kind: FailureKind::OutsideWindow,
            reason: "The customer's 24-hour WhatsApp window has closed; send an approved template."
                .into()
        }
    );
    assert!(matches!(
        a.read_response(
            401,
            &Headers::new(),
            fake::error_json(20003, "Authenticate", 401).as_bytes()
        ),
        SendOutcome::Permanent {
            kind: FailureKind::Auth,
            ..
        }
    ));
    assert_eq!(
        a.read_response(
            400,
            &Headers::new(),
            fake::error_json(
                21211,
                "The 'To' number 5551234567 is not a valid phone number.",
                400
            )
            .as_bytes()
        ),
        SendOutcome::Permanent {
            code: "21211".into(),
            kind: FailureKind::InvalidRecipient,
            reason: "The phone number isn't valid, so the message can't be sent.".into()
        }
    );
    assert_eq!(
        a.read_response(
            400,
            &Headers::new(),
            fake::error_json(12345, "Something odd", 400).as_bytes()
        ),
        SendOutcome::Permanent {
            code: "12345".into(),
            kind: FailureKind::Unknown,
            reason: "Twilio error 12345: Something odd".into()
        }
    );
    assert_eq!(
        SendOutcome::transport_failure(),
        SendOutcome::Retry {
            after: None,
            code: None
        }
    );
}

#[test]
fn whatsapp_via_twilio_image_with_caption_is_two_items() {
    let msg = fake::InboundMessage {
        account_sid: "AC1".into(),
        message_sid: "MM2".into(),
        from: "whatsapp:+15005550006".into(),
        to: "whatsapp:+14155238886".into(),
        body: "Is this one in stock?".into(),
        media: vec![("https://api.twilio.com/m/ME2".into(), "image/jpeg".into())],
        ..Default::default()
    };
    let req = fake::signed_request(
        "https://example.test/twilio/sms",
        "tok",
        &msg.params(),
        None,
    );
    let got = only(
        TwilioWebhook
            .receive(&req, &WebhookSecrets::new("tok"))
            .unwrap(),
    );
    let items = message(&got).items(&got.key);
    assert_eq!(items.len(), 2);
    assert!(
        matches!(&items[0], DisplayItem::Attachment { key, attachment } if key.as_str() == "twilio:MM2" && attachment.kind == AttachmentKind::Image)
    );
    assert_eq!(
        items[1],
        DisplayItem::Text {
            key: DedupeKey("twilio:MM2#1".into()),
            text: "Is this one in stock?".into()
        }
    );
}
