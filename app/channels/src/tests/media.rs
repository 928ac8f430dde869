//! Fetching a contact's file: each provider's requests, credentials only where they belong.

use crate::media::Follow;
use crate::*;

fn account(auth: ApiAuth, base: &str) -> Account {
    Account::new("acct", base, auth)
}

fn url(u: &str) -> MediaSource {
    MediaSource::Url { url: u.into() }
}

#[test]
fn twilio_media_gets_basic_auth_on_its_own_api_host_only() {
    let a = account(
        ApiAuth::Basic {
            username: "AC1".into(),
            password: "secret".into(),
        },
        "https://api.twilio.com",
    );
    let sms = twilio::TwilioAdapter::sms();
    let own = sms
        .media_request(
            &url("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"),
            &a,
        )
        .unwrap();
    assert_eq!(own.method, Method::Get);
    assert_eq!(
        own.headers.get("authorization"),
        Some("Basic QUMxOnNlY3JldA==")
    );
    let foreign = sms
        .media_request(&url("https://api.twilio.com.evil.example/x"), &a)
        .unwrap();
    assert_eq!(
        foreign.headers.get("authorization"),
        None,
        "no credentials elsewhere"
    );
    assert!(sms.media_request(&url("file:///etc/passwd"), &a).is_none());
    assert_eq!(sms.media_follow(b"\x89PNG", &a), Follow::File);
}

#[test]
fn whatsapp_media_is_two_steps_with_the_token() {
    let a = account(
        ApiAuth::Bearer {
            token: "EAAtoken".into(),
        },
        "https://graph.facebook.com/v25.0",
    );
    let wa = whatsapp::WhatsappAdapter::default();
    let first = wa
        .media_request(
            &MediaSource::MediaId {
                id: "1234/../x".into(),
            },
            &a,
        )
        .unwrap();
    assert_eq!(first.url, "https://graph.facebook.com/v25.0/1234%2F..%2Fx");
    assert_eq!(first.headers.get("authorization"), Some("Bearer EAAtoken"));
    let answer = br#"{"url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1","mime_type":"image/jpeg","file_size":3,"id":"1234"}"#;
    let Follow::Then(second) = wa.media_follow(answer, &a) else {
        panic!("a second step")
    };
    assert_eq!(
        second.url,
        "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1"
    );
    assert_eq!(second.headers.get("authorization"), Some("Bearer EAAtoken"));
    assert!(matches!(wa.media_follow(b"{}", &a), Follow::Fail(_)));
    assert!(wa.media_request(&url("https://x.example/a"), &a).is_none());
}

#[test]
fn telegram_media_goes_through_get_file_and_refuses_odd_paths() {
    let a = account(
        ApiAuth::BotToken {
            token: "123:ABC".into(),
        },
        "https://api.telegram.org",
    );
    let tg = telegram::TelegramAdapter::default();
    let first = tg
        .media_request(
            &MediaSource::TelegramFile {
                file_id: "AgAD+x=".into(),
                unique_id: None,
            },
            &a,
        )
        .unwrap();
    assert_eq!(
        first.url,
        "https://api.telegram.org/bot123:ABC/getFile?file_id=AgAD%2Bx%3D"
    );
    let Follow::Then(second) = tg.media_follow(
        br#"{"ok":true,"result":{"file_id":"x","file_path":"photos/file_1.jpg"}}"#,
        &a,
    ) else {
        panic!("a second step")
    };
    assert_eq!(
        second.url,
        "https://api.telegram.org/file/bot123:ABC/photos/file_1.jpg"
    );
    for odd in ["../secret", "/etc/passwd"] {
        let body = format!(r#"{{"ok":true,"result":{{"file_path":"{odd}"}}}}"#);
        assert!(
            matches!(tg.media_follow(body.as_bytes(), &a), Follow::Fail(_)),
            "{odd}"
        );
    }
    assert!(matches!(
        tg.media_follow(br#"{"ok":false,"error_code":400}"#, &a),
        Follow::Fail(_)
    ));
}

#[test]
fn meta_cdn_links_are_fetched_as_given() {
    let a = account(
        ApiAuth::AccessTokenQuery {
            token: "page".into(),
        },
        "https://graph.facebook.com/v25.0",
    );
    let m = messenger::MessengerAdapter::default();
    let r = m
        .media_request(&url("https://scontent.xx.fbcdn.net/v/t1/abc.jpg?oh=1"), &a)
        .unwrap();
    assert_eq!(r.url, "https://scontent.xx.fbcdn.net/v/t1/abc.jpg?oh=1");
    assert_eq!(r.headers.get("authorization"), None);
    assert!(!r.url.contains("access_token"), "the token stays home");
}

#[test]
fn messenger_and_instagram_names_come_from_the_graph_profile() {
    let a = account(
        ApiAuth::AccessTokenQuery {
            token: "page tok".into(),
        },
        "https://graph.facebook.com/v25.0",
    );
    let m = messenger::MessengerAdapter::default();
    let r = m.profile_request("6100/../1", &a).unwrap();
    assert_eq!(r.method, Method::Get);
    assert_eq!(
        r.url,
        "https://graph.facebook.com/v25.0/6100%2F..%2F1?fields=first_name,last_name&access_token=page+tok"
    );
    assert_eq!(
        m.read_profile(br#"{"first_name":"Lena","last_name":"Park","id":"6100"}"#),
        Some("Lena Park".into())
    );
    let ig = instagram::InstagramAdapter::default();
    let r = ig.profile_request("5310", &a).unwrap();
    assert!(r.url.contains("/5310?fields=name,username&access_token="));
    assert_eq!(
        ig.read_profile(br#"{"name":"","username":"lena.p"}"#),
        Some("lena.p".into())
    );
    assert_eq!(ig.read_profile(br#"{"error":{"code":100}}"#), None);
    assert_eq!(ig.read_profile(b"not json"), None);
    // Channels whose webhooks carry names ask nothing.
    assert!(telegram::TelegramAdapter::default()
        .profile_request("42", &a)
        .is_none());
    assert!(m.profile_request("", &a).is_none());
}
