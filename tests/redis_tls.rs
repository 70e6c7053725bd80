//! `rediss://` against a real TLS-only `redis-server` with a password: the connection is encrypted
//! and authenticated, certificate checks are on unless the URL says `#insecure`, and the password
//! shows in no error.
#![cfg(feature = "redis")]

#[path = "support/redis_env.rs"]
mod redis_env;

use cachelab::redis::{connect, ping, Target};
use redis::AsyncCommands;

#[tokio::test]
async fn rediss_connects_with_a_password_and_checks_certificates() {
    if redis_env::redis_url().is_none() {
        return;
    }
    let server = redis_env::OwnServer::start_tls("s3cret-pw");
    let address = server.address();

    // A self-signed certificate is not trusted; `#insecure` is the test-machine escape hatch.
    let target: Target = format!("rediss://default:s3cret-pw@{address}/#insecure")
        .parse()
        .unwrap();
    assert!(target.is_tls());
    assert_eq!(
        target.to_string(),
        format!("rediss://default:***@{address}/#insecure")
    );
    let mut conn = connect(&target, 2).await.expect("TLS connection");
    assert_eq!(ping(&mut conn).await.unwrap(), "PONG");
    let () = conn.set("over-tls", "yes").await.unwrap();
    let read: String = conn.get("over-tls").await.unwrap();
    assert_eq!(read, "yes");

    let failures = [
        // Verification on: the self-signed certificate is refused.
        (
            format!("rediss://default:s3cret-pw@{address}/"),
            "certificate",
        ),
        // The right server, the wrong password.
        (
            format!("rediss://default:wrong-pw@{address}/#insecure"),
            "auth",
        ),
        // Plain text to a TLS port: no answer a Redis client understands.
        (format!("redis://default:s3cret-pw@{address}/"), ""),
    ];
    for (url, expected) in failures {
        let target: Target = url.parse().unwrap();
        let Err(error) = connect(&target, 1).await else {
            panic!("{target} connected");
        };
        let message = error.to_string();
        assert!(message.to_lowercase().contains(expected), "{message}");
        assert!(!message.contains("pw"), "{message}");
    }
}
