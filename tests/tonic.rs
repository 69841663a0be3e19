//! SessionLayer in front of a real tonic server, called by a real tonic client: the
//! session reaches the service, and rejections arrive as gRPC statuses.
//!
//! No protoc: the messages derive `prost::Message` by hand and the unary service is a
//! `tower::Service` calling `tonic::server::Grpc` with `tonic_prost::ProstCodec`.

mod common;

use common::fixture::Fixture;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::uri::PathAndQuery;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Endpoint, Server};
use tonic::{Code, Status};
use tonic_prost::ProstCodec;
use tower_supertokens::claims::EmailVerified;
use tower_supertokens::reject::RejectionPolicy;
use tower_supertokens::reject::grpc::GrpcRejection;
use tower_supertokens::testing::TestIssuer;
use tower_supertokens::{KeyStore, Session, SessionConfig, SessionLayer};

const WHO_AM_I: &str = "/session.Session/WhoAmI";

#[derive(Clone, PartialEq, prost::Message)]
struct WhoAmIRequest {}

#[derive(Clone, PartialEq, prost::Message)]
struct WhoAmIReply {
    #[prost(string, tag = "1")]
    user_id: String,
}

/// What `tonic-build` would generate for `service Session { rpc WhoAmI(...) ... }`:
/// routes by path, answers `WhoAmI` with the user id of the [`Session`] the layer put in
/// the request extensions.
#[derive(Clone, Copy)]
struct SessionService;

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl tower::Service<http::Request<tonic::body::Body>> for SessionService {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        Box::pin(async move {
            if request.uri().path() != WHO_AM_I {
                return Ok(Status::unimplemented("no such method").into_http());
            }
            let who_am_i = tower::service_fn(|request: tonic::Request<WhoAmIRequest>| async move {
                let session = request.extensions().get::<Session>();
                match session {
                    Some(session) => Ok(tonic::Response::new(WhoAmIReply {
                        user_id: session.user_id().to_owned(),
                    })),
                    None => Err(Status::internal("the layer let a call without session in")),
                }
            });
            let mut grpc =
                tonic::server::Grpc::new(ProstCodec::<WhoAmIReply, WhoAmIRequest>::default());
            Ok(grpc.unary(who_am_i, request).await)
        })
    }
}

/// Serves [`SessionService`] behind `SessionLayer::required(config)` answering with
/// `policy`, on a loopback port.
async fn serve<P: RejectionPolicy>(config: SessionConfig, policy: P) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let layer = SessionLayer::required(config).with_rejection(policy);
    tokio::spawn(
        Server::builder()
            .layer(layer)
            .serve_with_incoming(SessionService, TcpIncoming::from(listener)),
    );
    addr
}

/// Calls `WhoAmI` with a tonic client, with `token` as `authorization: Bearer` metadata.
async fn who_am_i(addr: SocketAddr, token: Option<&str>) -> Result<String, Status> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect()
        .await
        .expect("connect");
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.expect("ready");
    let mut request = tonic::Request::new(WhoAmIRequest {});
    if let Some(token) = token {
        let value = format!("Bearer {token}").parse().expect("metadata value");
        request.metadata_mut().insert("authorization", value);
    }
    let reply = client
        .unary(
            request,
            PathAndQuery::from_static(WHO_AM_I),
            ProstCodec::<WhoAmIRequest, WhoAmIReply>::default(),
        )
        .await?;
    Ok(reply.into_inner().user_id)
}

#[tokio::test]
async fn valid_bearer_token_reaches_the_service_with_its_session() {
    let fx = Fixture::new();
    let addr = serve(fx.config(), GrpcRejection).await;
    let user = who_am_i(addr, Some(&fx.token())).await.expect("ok");
    assert_eq!(user, "user-1");
}

#[tokio::test]
async fn no_token_is_unauthenticated() {
    let fx = Fixture::new();
    let addr = serve(fx.config(), GrpcRejection).await;
    let status = who_am_i(addr, None).await.expect_err("rejected");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "unauthorised");
    let status = who_am_i(addr, Some("not-a-jwt"))
        .await
        .expect_err("rejected");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "unauthorised");
}

#[tokio::test]
async fn expired_token_is_unauthenticated_try_refresh() {
    let fx = Fixture::new();
    let addr = serve(fx.config(), GrpcRejection).await;
    let status = who_am_i(addr, Some(&fx.expired()))
        .await
        .expect_err("rejected");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "try refresh token");
}

#[tokio::test]
async fn failing_global_claim_is_permission_denied() {
    let fx = Fixture::new();
    let config = fx.config().validate_claim(EmailVerified::is_verified());
    let addr = serve(config, GrpcRejection::or_default()).await;
    let unverified = fx
        .issuer
        .token("user-1")
        .at(common::fixture::now())
        .email_verified(false)
        .sign();
    let status = who_am_i(addr, Some(&unverified))
        .await
        .expect_err("rejected");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(status.message(), "invalid claim: st-ev");
    let verified = fx
        .issuer
        .token("user-1")
        .at(common::fixture::now())
        .email_verified(true)
        .sign();
    assert_eq!(who_am_i(addr, Some(&verified)).await.expect("ok"), "user-1");
}

#[tokio::test]
async fn unreachable_jwks_is_unavailable() {
    // A port nobody listens on: the key store cannot fetch its keys.
    let closed = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let jwks = format!(
        "http://{}/.well-known/jwks.json",
        closed.local_addr().expect("addr")
    );
    drop(closed);
    let keys = KeyStore::from_jwks_uri(&jwks).expect("key store");
    let addr = serve(SessionConfig::new(keys), GrpcRejection).await;
    let token = TestIssuer::new().token("user-1").sign();
    let status = who_am_i(addr, Some(&token)).await.expect_err("rejected");
    assert_eq!(status.code(), Code::Unavailable);
    assert_eq!(status.message(), "session keys unavailable");
}

#[tokio::test]
async fn or_default_answers_plain_http_like_supertokens_on_the_same_server() {
    // One layer in front of a server taking gRPC and plain HTTP/1.1 (as a mixed
    // axum + tonic router does): gRPC calls get statuses, other requests JSON.
    let fx = Fixture::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let layer = SessionLayer::required(fx.config()).with_rejection(GrpcRejection::or_default());
    tokio::spawn(
        Server::builder()
            .accept_http1(true)
            .layer(layer)
            .serve_with_incoming(SessionService, TcpIncoming::from(listener)),
    );
    let status = who_am_i(addr, Some(&fx.expired()))
        .await
        .expect_err("rejected");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "try refresh token");
    let reply = common::get(&format!("http://{addr}/api/user"), &[]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.body, r#"{"message":"unauthorised"}"#);
    assert!(!reply.headers.contains_key("grpc-status"));
}

impl tonic::server::NamedService for SessionService {
    const NAME: &'static str = "session.Session";
}

#[tokio::test]
async fn per_service_layer_through_the_tonic_router() {
    use tonic::service::LayerExt;
    let fx = Fixture::new();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    // `named_layer` keeps the service's name; the layer's ResponseBody needs no mapping.
    let layer = SessionLayer::required(fx.config()).with_rejection(GrpcRejection);
    tokio::spawn(
        Server::builder()
            .add_service(layer.named_layer(SessionService))
            .serve_with_incoming(TcpIncoming::from(listener)),
    );
    assert_eq!(
        who_am_i(addr, Some(&fx.token())).await.expect("ok"),
        "user-1"
    );
    let status = who_am_i(addr, None).await.expect_err("rejected");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "unauthorised");
}

#[tokio::test]
async fn one_layer_over_a_mixed_axum_and_tonic_router() {
    let fx = Fixture::new();
    let app = tonic::service::Routes::new(SessionService)
        .into_axum_router()
        .route("/api/user", axum::routing::get(|| async { "hello" }))
        .layer(SessionLayer::required(fx.config()).with_rejection(GrpcRejection::or_default()));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    assert_eq!(
        who_am_i(addr, Some(&fx.token())).await.expect("ok"),
        "user-1"
    );
    let status = who_am_i(addr, Some(&fx.expired()))
        .await
        .expect_err("rejected");
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(status.message(), "try refresh token");

    let url = format!("http://{addr}/api/user");
    let reply = common::get(&url, &[]).await;
    assert_eq!(reply.status, 401);
    assert_eq!(reply.body, r#"{"message":"unauthorised"}"#);
    let bearer = format!("Bearer {}", fx.token());
    let reply = common::get(&url, &[("authorization", &bearer)]).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "hello");
}
