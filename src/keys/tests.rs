//! Cache behaviour against real loopback servers, with a manual clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jsonwebtoken::Algorithm;

use super::cache::RemoteKeys;
use super::jwks::{Skip, parse_jwk, parse_jwks};
use super::test_support::{
    JwksServer, MESSAGE, Mode, N1, N2, N3, SIGNATURE_1, closed_port, jwk, jwks, silent_listener,
};
use super::{FetchError, KeyLookup, KeyStore, KeyStoreError};
use crate::clock::ManualClock;

const START: u64 = 1_733_507_300;
/// Bounds every wait in these tests; none is expected to come close.
const SAFETY: Duration = Duration::from_secs(10);

fn describe(lookup: &KeyLookup) -> String {
    match lookup {
        KeyLookup::Found(keys) => format!("found {}", keys.len()),
        KeyLookup::UnknownKid => "unknown kid".to_owned(),
        KeyLookup::Unavailable => "unavailable".to_owned(),
    }
}

fn cached(store: &KeyStore, kid: &str) -> String {
    store
        .cached(kid)
        .as_ref()
        .map_or_else(|| "miss".to_owned(), describe)
}

async fn resolve(store: &KeyStore, kid: &str) -> String {
    let lookup = tokio::time::timeout(SAFETY, store.resolve(kid))
        .await
        .expect("resolve did not return");
    describe(&lookup)
}

fn remote(store: &KeyStore) -> &Arc<RemoteKeys> {
    match &store.source {
        super::Source::Remote(remote) => remote,
        super::Source::Static(_) => panic!("not a fetching store"),
    }
}

/// Waits until the store completed `count` fetch attempts in total.
async fn wait_for_attempts(store: &KeyStore, count: u64) {
    let mut attempts = remote(store).subscribe_attempts();
    tokio::time::timeout(SAFETY, attempts.wait_for(|n| *n >= count))
        .await
        .expect("fetch attempts timed out")
        .expect("store gone");
}

fn store_for(uri: &str, clock: &ManualClock) -> KeyStore {
    KeyStore::builder()
        .jwks_uri(uri)
        .clock(clock.clone())
        .build()
        .expect("valid store")
}

fn set_a() -> String {
    jwks(&[jwk("d-a", N1)])
}

fn set_ab() -> String {
    jwks(&[jwk("d-b", N2), jwk("d-a", N1)])
}

// ---- JWK parsing ----

#[test]
fn usable_jwk_keeps_its_alg() {
    for (alg, expected) in [
        ("RS256", Algorithm::RS256),
        ("RS384", Algorithm::RS384),
        ("RS512", Algorithm::RS512),
        ("PS256", Algorithm::PS256),
        ("PS384", Algorithm::PS384),
        ("PS512", Algorithm::PS512),
    ] {
        let value = serde_json::json!({"kty":"RSA","kid":"k","alg":alg,"n":N1,"e":"AQAB"});
        let (kid, key) = parse_jwk(&value).expect("usable");
        assert_eq!(kid, "k");
        assert_eq!(key.alg, Some(expected));
    }
    let value = serde_json::json!({"kty":"RSA","kid":"k","n":N1,"e":"AQAB"});
    assert_eq!(parse_jwk(&value).expect("usable without alg").1.alg, None);
    let value = serde_json::json!({"kty":"RSA","kid":"k","n":N1,"e":"AQAB","key_ops":["verify"]});
    assert!(parse_jwk(&value).is_ok(), "key_ops with verify");
}

#[test]
fn unusable_jwks_are_skipped_for_a_reason() {
    let cases = [
        (
            serde_json::json!({"kty":"EC","kid":"k","crv":"P-256","x":"AQAB","y":"AQAB"}),
            Skip::NotRsa,
        ),
        (
            serde_json::json!({"kid":"k","n":N1,"e":"AQAB"}),
            Skip::NotRsa,
        ),
        (
            serde_json::json!({"kty":"RSA","n":N1,"e":"AQAB"}),
            Skip::NoKid,
        ),
        (
            serde_json::json!({"kty":"RSA","kid":"","n":N1,"e":"AQAB"}),
            Skip::NoKid,
        ),
        (
            serde_json::json!({"kty":"RSA","kid":5,"n":N1,"e":"AQAB"}),
            Skip::Malformed,
        ),
        (
            serde_json::json!({"kty":"RSA","kid":"k","use":"enc","n":N1,"e":"AQAB"}),
            Skip::NotForSignatures,
        ),
        (
            serde_json::json!({"kty":"RSA","kid":"k","key_ops":["sign"],"n":N1,"e":"AQAB"}),
            Skip::NoVerifyOp,
        ),
        (
            serde_json::json!({"kty":"RSA","kid":"k","key_ops":"verify","n":N1,"e":"AQAB"}),
            Skip::Malformed,
        ),
        (
            serde_json::json!({"kty":"RSA","kid":"k","alg":"HS256","n":N1,"e":"AQAB"}),
            Skip::UnsupportedAlg,
        ),
        (
            serde_json::json!({"kty":"RSA","kid":"k","alg":"none","n":N1,"e":"AQAB"}),
            Skip::UnsupportedAlg,
        ),
        (
            serde_json::json!({"kty":"RSA","kid":"k","alg":"ES256","n":N1,"e":"AQAB"}),
            Skip::UnsupportedAlg,
        ),
        (
            serde_json::json!({"kty":"RSA","kid":"k","n":"not base64!","e":"AQAB"}),
            Skip::BadComponents,
        ),
        (
            serde_json::json!({"kty":"RSA","kid":"k","n":N1}),
            Skip::BadComponents,
        ),
        (
            serde_json::json!({"kty":"RSA","kid":"k","n":"","e":"AQAB"}),
            Skip::BadComponents,
        ),
        (serde_json::json!("a string"), Skip::Malformed),
    ];
    for (value, reason) in cases {
        let skipped = parse_jwk(&value).err();
        assert_eq!(skipped.as_ref(), Some(&reason), "{value}");
    }
}

#[test]
fn one_odd_key_does_not_fail_the_set() {
    let json = format!(
        r#"{{"keys":[{{"kty":"EC","kid":"ec"}},{},{{"kty":"RSA","kid":7}},{}],"status":"OK"}}"#,
        jwk("d-a", N1),
        jwk("s-b", N2)
    );
    let set = parse_jwks(json.as_bytes()).expect("a JWKS");
    assert_eq!(set.len(), 2);
    assert_eq!(set.skipped(), 2);
    assert_eq!(set.key_ids(), ["d-a", "s-b"]);
    assert!(set.get("ec").is_none());
}

#[test]
fn keys_sharing_a_kid_are_all_kept() {
    let json = jwks(&[jwk("same", N1), jwk("other", N3), jwk("same", N2)]);
    let set = parse_jwks(json.as_bytes()).expect("a JWKS");
    assert_eq!(set.get("same").map(|keys| keys.len()), Some(2));
    assert_eq!(set.key_ids(), ["same", "other"]);
    assert_eq!(set.len(), 3);
}

#[test]
fn parsed_key_verifies_a_real_signature() {
    let set = parse_jwks(set_ab().as_bytes()).expect("a JWKS");
    let signature = b64url_decode(SIGNATURE_1);
    let verify = |kid: &str| {
        let keys = set.get(kid).expect("kid present");
        let verifier =
            (crate::crypto::provider().verifier_factory)(&Algorithm::RS256, &keys[0].key)
                .expect("RSA verifier");
        verifier.verify(MESSAGE, &signature).is_ok()
    };
    assert!(verify("d-a"), "key 1 verifies its own signature");
    assert!(!verify("d-b"), "key 2 does not");
}

fn b64url_decode(text: &str) -> Vec<u8> {
    // Decode base64url without padding (the signature fixture), with no extra dependency.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0_u32;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes() {
        let value = alphabet.iter().position(|&c| c == byte).expect("base64url");
        bits = (bits << 6) | u32::try_from(value).expect("small");
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).expect("byte"));
        }
    }
    out
}

#[test]
fn not_a_jwks_is_an_error_not_a_panic() {
    for garbage in [
        &b"<html>"[..],
        b"",
        b"[]",
        b"{}",
        br#"{"keys":{}}"#,
        b"\xff\xfe",
        b"{\"keys\":[",
    ] {
        assert!(parse_jwks(garbage).is_err());
    }
}

// ---- static store ----

#[test]
fn static_store_answers_from_its_keys_only() {
    let store = KeyStore::from_jwks_json(&set_ab()).expect("static store");
    assert_eq!(cached(&store, "d-a"), "found 1");
    assert_eq!(cached(&store, "d-b"), "found 1");
    assert_eq!(cached(&store, "nope"), "unknown kid");
    assert_eq!(store.key_ids(), ["d-b", "d-a"]);
    assert!(KeyStore::from_jwks_json(r#"{"keys":[]}"#).is_ok());
    assert!(matches!(
        KeyStore::from_jwks_json(r#"{"keys":[{"kty":"oct","kid":"x","k":"AQAB"}]}"#),
        Err(KeyStoreError::NoUsableKey { skipped: 1 })
    ));
    assert!(matches!(
        KeyStore::from_jwks_json("nope"),
        Err(KeyStoreError::InvalidJwks(_))
    ));
}

#[tokio::test]
async fn static_store_resolves_without_fetching() {
    let store = KeyStore::from_jwks_json(&set_a()).expect("static store");
    assert_eq!(resolve(&store, "d-a").await, "found 1");
    assert_eq!(resolve(&store, "d-x").await, "unknown kid");
    assert_eq!(store.refresh().await.expect("static refresh"), 1);
}

// ---- fetching store ----

#[test]
fn resolve_future_is_send_and_static() {
    fn assert_send_static<T: Send + 'static>(_: &T) {}
    fn assert_shared<T: Send + Sync + Clone + 'static>() {}
    assert_shared::<KeyStore>();
    let store = KeyStore::from_jwks_json(r#"{"keys":[]}"#).expect("static store");
    let kid = String::from("k");
    let future = async move { store.resolve(&kid).await };
    assert_send_static(&future);
}

#[tokio::test]
async fn cold_cache_fetches_then_answers_from_cache() {
    let server = JwksServer::start(Mode::Ok(set_a())).await;
    let clock = ManualClock::at_unix_seconds(START);
    let store = store_for(&server.uri(), &clock);
    assert_eq!(cached(&store, "d-a"), "miss");
    assert_eq!(resolve(&store, "d-a").await, "found 1");
    assert_eq!(server.hits(), 1);
    for _ in 0..100 {
        assert_eq!(cached(&store, "d-a"), "found 1");
    }
    clock.advance(Duration::from_secs(3 * 60 * 60));
    assert_eq!(cached(&store, "d-a"), "found 1");
    assert_eq!(server.hits(), 1, "fresh keys never cause a fetch");
}

#[tokio::test]
async fn request_asks_for_json_and_sends_no_credentials() {
    let server = JwksServer::start(Mode::Ok(set_a())).await;
    let store = store_for(&server.uri(), &ManualClock::at_unix_seconds(START));
    store.refresh().await.expect("fetch");
    let headers = server.last_headers().expect("a request");
    assert_eq!(
        headers.get("accept").map(http::HeaderValue::as_bytes),
        Some(&b"application/json"[..])
    );
    assert!(headers.get("authorization").is_none());
    assert!(headers.get("cookie").is_none());
    assert!(headers.get("api-key").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_misses_on_a_cold_cache_share_one_fetch() {
    let server = JwksServer::start(Mode::Ok(set_ab())).await;
    server.gate();
    let store = store_for(&server.uri(), &ManualClock::at_unix_seconds(START));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..200 {
        let store = store.clone();
        let kid = if i % 2 == 0 { "d-a" } else { "d-b" };
        tasks.spawn(async move { describe(&store.resolve(kid).await) });
    }
    server.wait_for_hits(1).await;
    tokio::task::yield_now().await;
    server.open();
    let answers = tokio::time::timeout(SAFETY, tasks.join_all())
        .await
        .expect("all resolved");
    assert!(
        answers.iter().all(|answer| answer == "found 1"),
        "{answers:?}"
    );
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn stale_keys_answer_at_once_and_refresh_in_the_background() {
    let server = JwksServer::start(Mode::Ok(set_a())).await;
    let clock = ManualClock::at_unix_seconds(START);
    let store = KeyStore::builder()
        .jwks_uri(server.uri())
        .clock(clock.clone())
        .max_age(Duration::from_secs(3600))
        .build()
        .expect("store");
    store.refresh().await.expect("warm-up");
    server.set(Mode::Ok(set_ab()));
    server.gate();
    clock.advance(Duration::from_secs(3601));
    // The refresh is held at the server: stale answers keep coming without waiting, and
    // only one background refresh is started.
    for _ in 0..50 {
        assert_eq!(cached(&store, "d-a"), "found 1");
    }
    server.wait_for_hits(2).await;
    server.open();
    wait_for_attempts(&store, 2).await;
    assert_eq!(server.hits(), 2);
    assert_eq!(store.key_ids(), ["d-b", "d-a"]);
    assert_eq!(cached(&store, "d-a"), "found 1");
    assert_eq!(server.hits(), 2, "fresh again: no more fetches");
}

#[test]
fn stale_keys_without_a_runtime_answer_and_do_not_panic() {
    let clock = ManualClock::at_unix_seconds(START);
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let client = tower::service_fn(
        move |_request: http::Request<http_body_util::Empty<bytes::Bytes>>| {
            counted.fetch_add(1, Ordering::SeqCst);
            async {
                Ok::<_, std::convert::Infallible>(http::Response::new(http_body_util::Full::new(
                    bytes::Bytes::from(set_a()),
                )))
            }
        },
    );
    let store = KeyStore::builder()
        .jwks_uri("http://jwks.invalid/jwks.json")
        .clock(clock.clone())
        .http_client(client)
        .build()
        .expect("store");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(store.refresh()).expect("fetch");
    drop(runtime);
    clock.advance(Duration::from_secs(5 * 60 * 60));
    assert_eq!(cached(&store, "d-a"), "found 1");
    assert_eq!(cached(&store, "d-a"), "found 1");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn unknown_kid_refetches_at_most_once_per_cooldown() {
    let server = JwksServer::start(Mode::Ok(set_a())).await;
    let clock = ManualClock::at_unix_seconds(START);
    let store = store_for(&server.uri(), &clock);
    store.refresh().await.expect("warm-up");
    // Within the cooldown of the warm-up fetch: answered at once, no fetch.
    assert_eq!(cached(&store, "forged"), "unknown kid");
    assert_eq!(resolve(&store, "forged").await, "unknown kid");
    assert_eq!(server.hits(), 1);

    clock.advance(Duration::from_secs(5));
    assert_eq!(cached(&store, "forged-0"), "miss");
    assert_eq!(resolve(&store, "forged-0").await, "unknown kid");
    assert_eq!(server.hits(), 2, "one refetch, the kid is still absent");
    for i in 1..1000 {
        let kid = format!("forged-{i}");
        assert_eq!(cached(&store, &kid), "unknown kid");
        assert_eq!(resolve(&store, &kid).await, "unknown kid");
    }
    clock.advance(Duration::from_millis(4999));
    assert_eq!(resolve(&store, "forged-x").await, "unknown kid");
    assert_eq!(
        server.hits(),
        2,
        "1,000 unknown kids within a cooldown: one refetch"
    );
    assert_eq!(cached(&store, "d-a"), "found 1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_distinct_unknown_kids_causes_one_refetch() {
    let server = JwksServer::start(Mode::Ok(set_a())).await;
    let clock = ManualClock::at_unix_seconds(START);
    let store = store_for(&server.uri(), &clock);
    store.refresh().await.expect("warm-up");
    clock.advance(Duration::from_secs(6));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..1000 {
        let store = store.clone();
        tasks.spawn(async move { describe(&store.resolve(&format!("forged-{i}")).await) });
    }
    let answers = tokio::time::timeout(SAFETY, tasks.join_all())
        .await
        .expect("all resolved");
    assert!(answers.iter().all(|answer| answer == "unknown kid"));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn rotated_key_is_picked_up_by_the_first_token_using_it() {
    let server = JwksServer::start(Mode::Ok(set_a())).await;
    let clock = ManualClock::at_unix_seconds(START);
    let store = store_for(&server.uri(), &clock);
    store.refresh().await.expect("warm-up");
    server.set(Mode::Ok(set_ab()));
    // Published 60 s before use: well past the cooldown.
    clock.advance(Duration::from_secs(60));
    assert_eq!(cached(&store, "d-b"), "miss");
    assert_eq!(resolve(&store, "d-b").await, "found 1");
    assert_eq!(server.hits(), 2);
    assert_eq!(cached(&store, "d-b"), "found 1");
    assert_eq!(cached(&store, "d-a"), "found 1");
}

#[tokio::test]
async fn cached_keys_survive_a_jwks_outage_until_the_stale_window_ends() {
    let mut server = JwksServer::start(Mode::Ok(set_a())).await;
    let clock = ManualClock::at_unix_seconds(START);
    let store = KeyStore::builder()
        .jwks_uri(server.uri())
        .clock(clock.clone())
        .max_age(Duration::from_secs(3600))
        .stale_if_error(Duration::from_secs(7200))
        .build()
        .expect("store");
    store.refresh().await.expect("warm-up");
    server.set(Mode::Status(500));

    clock.advance(Duration::from_secs(3601));
    assert_eq!(cached(&store, "d-a"), "found 1");
    wait_for_attempts(&store, 2).await;
    assert_eq!(server.hits(), 2, "background refresh tried");
    assert_eq!(cached(&store, "d-a"), "found 1", "stale key still verifies");
    assert_eq!(
        cached(&store, "d-new"),
        "unavailable",
        "cannot tell within the cooldown"
    );

    server.stop();
    clock.advance(Duration::from_secs(3600));
    assert_eq!(
        cached(&store, "d-a"),
        "found 1",
        "host gone: still verifying"
    );
    wait_for_attempts(&store, 3).await;
    assert!(matches!(
        store.refresh().await,
        Err(FetchError::Connect { .. })
    ));

    clock.advance(Duration::from_secs(3600));
    assert_eq!(
        cached(&store, "d-a"),
        "miss",
        "past max_age + stale_if_error"
    );
    assert_eq!(resolve(&store, "d-a").await, "unavailable");
}

#[tokio::test]
async fn failures_are_limited_by_the_cooldown_and_the_store_recovers() {
    let server = JwksServer::start(Mode::Status(503)).await;
    let clock = ManualClock::at_unix_seconds(START);
    let store = store_for(&server.uri(), &clock);
    assert_eq!(resolve(&store, "d-a").await, "unavailable");
    assert_eq!(server.hits(), 1);
    assert_eq!(cached(&store, "d-a"), "unavailable");
    assert_eq!(resolve(&store, "d-a").await, "unavailable");
    assert_eq!(server.hits(), 1, "no hammering within the cooldown");
    assert_eq!(store.retry_after(), Duration::from_secs(5));
    clock.advance(Duration::from_millis(2500));
    assert_eq!(store.retry_after(), Duration::from_secs(3));

    server.set(Mode::Ok(set_a()));
    clock.advance(Duration::from_millis(2500));
    assert_eq!(cached(&store, "d-a"), "miss");
    assert_eq!(resolve(&store, "d-a").await, "found 1");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn fetch_timeout_bounds_a_silent_host() {
    let (addr, _listener) = silent_listener().await;
    let store = KeyStore::builder()
        .jwks_uri(format!("http://{addr}/jwks.json"))
        .fetch_timeout(Duration::from_millis(300))
        .clock(ManualClock::at_unix_seconds(START))
        .build()
        .expect("store");
    assert_eq!(resolve(&store, "d-a").await, "unavailable");
    let error = tokio::time::timeout(SAFETY, store.refresh())
        .await
        .expect("refresh returned")
        .expect_err("timed out");
    assert!(
        matches!(error, FetchError::Timeout { timeout, .. } if timeout == Duration::from_millis(300))
    );
    assert!(
        error.to_string().contains("timed out after 300 ms"),
        "{error}"
    );
}

#[tokio::test]
async fn fetch_timeout_covers_a_response_that_never_comes() {
    let server = JwksServer::start(Mode::Hang).await;
    let store = KeyStore::builder()
        .jwks_uri(server.uri())
        .fetch_timeout(Duration::from_millis(300))
        .clock(ManualClock::at_unix_seconds(START))
        .build()
        .expect("store");
    assert_eq!(resolve(&store, "d-a").await, "unavailable");
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn bad_answers_are_fetch_errors() {
    let server = JwksServer::start(Mode::Status(404)).await;
    let clock = ManualClock::at_unix_seconds(START);
    let store = store_for(&server.uri(), &clock);
    type Expect = fn(&FetchError) -> bool;
    let cases: Vec<(Mode, Expect)> = vec![
        (
            Mode::Status(404),
            |e| matches!(e, FetchError::Status { status, .. } if status.as_u16() == 404),
        ),
        (Mode::Status(201), |e| {
            matches!(e, FetchError::Status { .. })
        }),
        (Mode::Status(304), |e| {
            matches!(e, FetchError::Status { .. })
        }),
        (Mode::Ok("<html>not json</html>".into()), |e| {
            matches!(e, FetchError::InvalidJson { .. })
        }),
        (Mode::Ok(r#"{"keys":[]}"#.into()), |e| {
            matches!(e, FetchError::NoUsableKey { skipped: 0, .. })
        }),
        (
            Mode::Ok(r#"{"keys":[{"kty":"EC","kid":"e"}]}"#.into()),
            |e| matches!(e, FetchError::NoUsableKey { skipped: 1, .. }),
        ),
        (
            Mode::Ok(format!(
                r#"{{"keys":[],"pad":"{}"}}"#,
                "x".repeat(1024 * 1024)
            )),
            |e| {
                matches!(
                    e,
                    FetchError::BodyTooLarge {
                        limit: 1_048_576,
                        ..
                    }
                )
            },
        ),
    ];
    for (mode, expected) in cases {
        server.set(mode);
        let error = store.refresh().await.expect_err("a failed fetch");
        assert!(expected(&error), "{error:?}");
        assert_eq!(error.uri(), server.uri());
        assert!(error.to_string().contains(&server.uri()), "{error}");
        assert!(store.key_ids().is_empty());
    }
    // A body just under the limit is read.
    server.set(Mode::Ok(format!(
        r#"{{"keys":[{}],"pad":"{}"}}"#,
        jwk("d-a", N1),
        "x".repeat(1024 * 1024 - 1000)
    )));
    assert_eq!(store.refresh().await.expect("under the limit"), 1);
}

#[tokio::test]
async fn a_bad_answer_does_not_replace_good_keys() {
    let server = JwksServer::start(Mode::Ok(set_a())).await;
    let clock = ManualClock::at_unix_seconds(START);
    let store = store_for(&server.uri(), &clock);
    store.refresh().await.expect("warm-up");
    server.set(Mode::Ok(r#"{"keys":[]}"#.into()));
    assert!(store.refresh().await.is_err());
    server.set(Mode::Ok("garbage".into()));
    assert!(store.refresh().await.is_err());
    assert_eq!(store.key_ids(), ["d-a"]);
    assert_eq!(cached(&store, "d-a"), "found 1");
}

#[tokio::test]
async fn several_uris_are_tried_in_order() {
    let dead = closed_port().await;
    let failing = JwksServer::start(Mode::Status(500)).await;
    let good = JwksServer::start(Mode::Ok(set_a())).await;
    let store = KeyStore::builder()
        .jwks_uri(format!("http://{dead}/jwks.json"))
        .jwks_uri(failing.uri())
        .jwks_uri(good.uri())
        .clock(ManualClock::at_unix_seconds(START))
        .build()
        .expect("store");
    assert_eq!(resolve(&store, "d-a").await, "found 1");
    assert_eq!((failing.hits(), good.hits()), (1, 1));

    let first = JwksServer::start(Mode::Ok(set_a())).await;
    let second = JwksServer::start(Mode::Ok(set_ab())).await;
    let store = KeyStore::builder()
        .jwks_uri(first.uri())
        .jwks_uri(second.uri())
        .build()
        .expect("store");
    assert_eq!(store.refresh().await.expect("first wins"), 1);
    assert_eq!(second.hits(), 0);

    let store = KeyStore::builder()
        .jwks_uri(failing.uri())
        .jwks_uri(format!("http://{dead}/jwks.json"))
        .build()
        .expect("store");
    let error = store.refresh().await.expect_err("all fail");
    assert!(
        matches!(error, FetchError::Connect { .. }),
        "the last error: {error:?}"
    );
}
