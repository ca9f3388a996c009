//! Backup-domain switching (`Config::auto_switch_host`, cos-protocol.md §7.3) and the
//! GET Service host (`Config::service_domain`), against qcos-server: faults fail only
//! the primary Host (`FaultRule::host_contains`), and the server's record of recent
//! requests (`Stats::recent`) shows which Host each attempt carried. Every request the
//! server answers 2xx had its signature verified for the Host it arrived with.

mod client_common;

use client_common::*;
use qcos::auth::{Credentials, KeyTime, PresignInput, UrlBase, presign_url};
use qcos::{Body, Client, Config, Error, GetObjectOptions, PutObjectOptions, Status};
use qcos_server::{FaultAction, FaultRule, SeenRequest};

const PRIMARY: &str = ".cos.ap-guangzhou.myqcloud.com";
const BACKUP: &str = ".cos.ap-guangzhou.tencentcos.cn";

/// The requests of operation `op` the server saw from `Stats::recent[since]` on.
fn seen(env: &Env, op: &str, since: usize) -> Vec<SeenRequest> {
    env.server.stats().recent[since..]
        .iter()
        .filter(|r| r.op == op)
        .cloned()
        .collect()
}

/// Index into `Stats::recent` from which later requests are new.
fn mark(env: &Env) -> usize {
    env.server.stats().recent.len()
}

fn hosts(reqs: &[SeenRequest]) -> Vec<String> {
    reqs.iter().map(|r| r.host.clone()).collect()
}

fn put(c: &Client, key: &str, data: &[u8]) {
    c.put_object(key, Body::Bytes(data), &PutObjectOptions::default())
        .expect("put");
}

fn get(c: &Client, key: &str) -> qcos::Result<Vec<u8>> {
    let mut out = Vec::new();
    c.get_object(key, &GetObjectOptions::default(), &mut out)?;
    Ok(out)
}

fn fail_primary(action: FaultAction, method: &str) -> FaultRule {
    FaultRule::new(action)
        .method(method)
        .host_contains(".myqcloud.com")
        .times(0)
}

#[test]
fn a_network_error_on_the_primary_host_retries_on_the_backup_host() {
    let env = start();
    let bucket = "switch-1250000000";
    let c = env.client_with_bucket(bucket);
    assert!(c.config().auto_switch_host, "on by default");
    put(&c, "obj", b"payload");

    env.server
        .faults()
        .add(fail_primary(FaultAction::ResetBeforeBody, "GET"));
    let m = mark(&env);
    assert_eq!(
        get(&c, "obj").expect("served by the backup host"),
        b"payload"
    );
    let gets = seen(&env, "get_object", m);
    assert_eq!(
        hosts(&gets),
        [format!("{bucket}{PRIMARY}"), format!("{bucket}{BACKUP}")]
    );
    assert!(!gets[0].sdk_retry && gets[1].sdk_retry, "{gets:?}");

    // Per request: the next request starts on the primary host again.
    let m = mark(&env);
    c.head_object("obj", &GetObjectOptions::default())
        .expect("HEAD is not failed");
    assert_eq!(
        hosts(&seen(&env, "head_object", m)),
        [format!("{bucket}{PRIMARY}")]
    );
    let m = mark(&env);
    assert_eq!(get(&c, "obj").unwrap(), b"payload");
    assert_eq!(
        hosts(&seen(&env, "get_object", m)),
        [format!("{bucket}{PRIMARY}"), format!("{bucket}{BACKUP}")],
        "each GET starts on the primary host"
    );

    // A PUT (a replayable body) switches too, and the object stored is the one sent.
    env.server
        .faults()
        .add(fail_primary(FaultAction::ResetBeforeBody, "PUT"));
    let m = mark(&env);
    put(&c, "put-after-switch", b"sent twice, stored once");
    let puts = seen(&env, "put_object", m);
    assert_eq!(
        hosts(&puts),
        [format!("{bucket}{PRIMARY}"), format!("{bucket}{BACKUP}")]
    );
    env.server.faults().clear();
    assert_eq!(
        get(&c, "put-after-switch").unwrap(),
        b"sent twice, stored once"
    );
}

#[test]
fn a_gateway_5xx_or_redirect_without_request_id_switches() {
    let env = start();
    let bucket = "gateway-1250000000";
    let c = env.client_with_bucket(bucket);
    put(&c, "obj", b"data");
    for status in [502u16, 503, 302, 307] {
        env.server.faults().clear();
        env.server
            .faults()
            .add(fail_primary(FaultAction::ForeignStatus(status), "GET"));
        let m = mark(&env);
        assert_eq!(get(&c, "obj").unwrap(), b"data", "{status}");
        let gets = seen(&env, "get_object", m);
        assert_eq!(
            hosts(&gets),
            [format!("{bucket}{PRIMARY}"), format!("{bucket}{BACKUP}")],
            "{status}"
        );
        assert!(gets[1].sdk_retry);
    }
}

#[test]
fn a_5xx_with_a_request_id_came_from_cos_and_does_not_switch() {
    let env = start();
    let bucket = "cos5xx-1250000000";
    let c = env.client_with_bucket(bucket);
    put(&c, "obj", b"data");
    env.server.faults().add(
        FaultRule::new(FaultAction::Status {
            http_status: 503,
            code: "SlowDown".into(),
            message: "Please reduce your request rate.".into(),
        })
        .method("GET")
        .times(2),
    );
    let m = mark(&env);
    assert_eq!(get(&c, "obj").unwrap(), b"data");
    let gets = seen(&env, "get_object", m);
    assert_eq!(hosts(&gets), vec![format!("{bucket}{PRIMARY}"); 3]);
    assert!(gets[1].sdk_retry && gets[2].sdk_retry);

    // A COS redirect (with its request id) is not retried at all.
    env.server.faults().clear();
    env.server.faults().add(
        FaultRule::new(FaultAction::Status {
            http_status: 301,
            code: "PermanentRedirect".into(),
            message: "moved".into(),
        })
        .method("GET"),
    );
    let m = mark(&env);
    let e = get(&c, "obj").unwrap_err();
    assert_eq!(e.service().map(|s| s.http_status), Some(301), "{e}");
    assert_eq!(seen(&env, "get_object", m).len(), 1);
}

#[test]
fn with_switching_off_retries_stay_on_the_primary_host() {
    let env = start();
    let bucket = "noswitch-1250000000";
    let mut cfg = env.config(bucket);
    cfg.auto_switch_host = false;
    let c = Client::new(cfg).unwrap();
    c.create_bucket().unwrap();
    put(&c, "obj", b"data");
    env.server
        .faults()
        .add(FaultRule::new(FaultAction::ResetBeforeBody).method("GET"));
    let m = mark(&env);
    assert_eq!(get(&c, "obj").unwrap(), b"data");
    assert_eq!(
        hosts(&seen(&env, "get_object", m)),
        vec![format!("{bucket}{PRIMARY}"); 2]
    );

    // A gateway's redirect is then an error, not retried.
    env.server
        .faults()
        .add(fail_primary(FaultAction::ForeignStatus(302), "GET"));
    let m = mark(&env);
    let e = get(&c, "obj").unwrap_err();
    let s = e.service().expect("a service error");
    assert_eq!((s.http_status, s.request_id.as_str()), (302, ""), "{e}");
    assert_eq!(seen(&env, "get_object", m).len(), 1);
}

#[test]
fn other_host_forms_never_switch() {
    let env = start();
    let bucket = "forms-1250000000";
    env.client_with_bucket(bucket);
    let mut custom = env.config(bucket);
    custom.domain = Some("{Bucket}.files.example.com".into());
    let mut same_as_default = env.config(bucket);
    same_as_default.domain = Some("{Bucket}.cos.{Region}.myqcloud.com".into());
    let mut accelerate = env.config(bucket);
    accelerate.use_accelerate = true;
    let mut path_style = env.config(bucket);
    path_style.path_style = true;
    for (name, cfg, host) in [
        (
            "custom domain",
            custom,
            format!("{bucket}.files.example.com"),
        ),
        (
            "a domain template (even the default one)",
            same_as_default,
            format!("{bucket}{PRIMARY}"),
        ),
        (
            "accelerate",
            accelerate,
            format!("{bucket}.cos.accelerate.myqcloud.com"),
        ),
        (
            "path style",
            path_style,
            env.server
                .endpoint()
                .trim_start_matches("http://")
                .to_string(),
        ),
    ] {
        assert!(cfg.auto_switch_host);
        let c = Client::new(cfg).unwrap();
        put(&c, "obj", b"x");
        env.server.faults().clear();
        env.server
            .faults()
            .add(FaultRule::new(FaultAction::ResetBeforeBody).method("GET"));
        let m = mark(&env);
        assert_eq!(get(&c, "obj").unwrap(), b"x", "{name}");
        assert_eq!(
            hosts(&seen(&env, "get_object", m)),
            vec![host.clone(); 2],
            "{name}"
        );
    }
}

#[test]
fn when_the_backup_host_fails_too_the_error_says_so() {
    let env = start();
    let bucket = "bothfail-1250000000";
    let mut cfg = env.config(bucket);
    cfg.max_retries = 2;
    let c = Client::new(cfg).unwrap();
    c.create_bucket().unwrap();
    put(&c, "obj", b"data");
    env.server.faults().add(
        FaultRule::new(FaultAction::ResetBeforeBody)
            .method("GET")
            .times(0),
    );
    let m = mark(&env);
    let e = get(&c, "obj").unwrap_err();
    assert_eq!(e.status(), Status::Network, "{e}");
    assert!(
        e.to_string()
            .contains(&format!("backup host {bucket}{BACKUP}")),
        "{e}"
    );
    // One attempt on the primary host, the remaining ones stay on the backup host.
    assert_eq!(
        hosts(&seen(&env, "get_object", m)),
        [
            format!("{bucket}{PRIMARY}"),
            format!("{bucket}{BACKUP}"),
            format!("{bucket}{BACKUP}")
        ]
    );
}

#[test]
fn a_get_body_cut_midway_is_resumed_from_the_backup_host() {
    let env = start();
    let bucket = "resumesw-1250000000";
    let c = env.client_with_bucket(bucket);
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    put(&c, "big", &data);
    env.server.faults().add(
        FaultRule::new(FaultAction::ResetAfterBytes(100_000))
            .method("GET")
            .host_contains(".myqcloud.com"),
    );
    let m = mark(&env);
    assert_eq!(get(&c, "big").unwrap(), data);
    let gets = seen(&env, "get_object", m);
    assert_eq!(
        hosts(&gets),
        [format!("{bucket}{PRIMARY}"), format!("{bucket}{BACKUP}")]
    );
}

#[test]
fn presigned_urls_keep_the_primary_host() {
    let mut cfg = Config::new(REGION, "presign-1250000000");
    assert!(cfg.auto_switch_host);
    cfg.credentials = Some(Credentials::new("AKIDx", "key"));
    let url = presign_url(
        cfg.credentials.as_ref(),
        KeyTime {
            start: 1_700_000_000,
            end: 1_700_000_900,
        },
        &UrlBase::for_config(&cfg).unwrap(),
        &PresignInput::new("GET", "k"),
    )
    .unwrap();
    assert!(
        url.starts_with(&format!("https://presign-1250000000{PRIMARY}/k?")),
        "{url}"
    );
}

#[test]
fn service_domain_is_the_host_of_list_buckets() {
    let env = start();
    let bucket = "svc-1250000000";
    env.client_with_bucket(bucket);

    // Default: service.cos.myqcloud.com.
    let c = Client::new(env.config("")).unwrap();
    let m = mark(&env);
    assert!(c.list_buckets().unwrap().iter().any(|b| b.name == bucket));
    assert_eq!(
        hosts(&seen(&env, "list_buckets", m)),
        ["service.cos.myqcloud.com"]
    );

    for (template, host) in [
        ("service.cos.tencentcos.cn", "service.cos.tencentcos.cn"),
        ("cos.{Region}.myqcloud.com", "cos.ap-guangzhou.myqcloud.com"),
        (
            "{{AppId}}.svc.{{region}}.example.com",
            "1250000000.svc.ap-guangzhou.example.com",
        ),
    ] {
        let mut cfg = env.config(bucket);
        cfg.service_domain = Some(template.into());
        let c = Client::new(cfg).unwrap();
        let m = mark(&env);
        let listed = c.list_buckets().expect(template);
        assert!(listed.iter().any(|b| b.name == bucket), "{template}");
        assert_eq!(hosts(&seen(&env, "list_buckets", m)), [host], "{template}");
        // Bucket requests are not affected.
        let m = mark(&env);
        c.head_bucket().unwrap();
        assert_eq!(
            hosts(&seen(&env, "head_bucket", m)),
            [format!("{bucket}{PRIMARY}")]
        );
    }
}

#[test]
fn bad_service_domains_are_refused_naming_the_problem() {
    let env = start();
    for (value, why) in [
        ("https://service.cos.myqcloud.com", "scheme"),
        ("service.cos.myqcloud.com/list", "path"),
        ("service.cos.myqcloud.com\r\nX-Injected: 1", "control"),
        ("{Bucket}.cos.myqcloud.com", "unknown placeholder"),
        ("", "empty"),
        ("service.cos.myqcloud.com:0", "port"),
    ] {
        let mut cfg = env.config("");
        cfg.service_domain = Some(value.into());
        let e = match Client::new(cfg) {
            Ok(_) => panic!("{value:?} was accepted"),
            Err(e) => e,
        };
        assert!(
            matches!(e, Error::InvalidArgument { .. }),
            "{value:?}: {e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains("service_domain") && msg.contains(why),
            "{value:?}: {msg}"
        );
    }
    let mut cfg = env.config("");
    cfg.service_domain = Some("{AppId}.cos.example.com".into());
    let Err(e) = Client::new(cfg) else {
        panic!("{{AppId}} without a bucket was accepted");
    };
    assert!(e.to_string().contains("AppId"), "{e}");
}

#[test]
fn a_multipart_part_retried_by_the_engine_goes_to_the_backup_host() {
    // Upload Part bodies are one-shot readers the HTTP layer does not replay; the
    // transfer engine sends the part again, and that send goes to the backup host.
    let env = start();
    let bucket = "parts-1250000000";
    let mut cfg = env.config(bucket);
    cfg.chunk_size = 1 << 20;
    cfg.slice_size = 1 << 20;
    cfg.chunk_parallel_limit = 2;
    cfg.chunk_retry_times = 2;
    let c = Client::new(cfg).unwrap();
    c.create_bucket().unwrap();
    let data: Vec<u8> = (0..(3u32 << 20) + 1234)
        .map(|i| (i * 31 + i / 4099) as u8)
        .collect();
    let path = env.dir.path().join("parts.bin");
    std::fs::write(&path, &data).unwrap();
    env.server.faults().add(
        FaultRule::new(FaultAction::ResetBeforeBody)
            .method("PUT")
            .query_contains("partNumber=2")
            .host_contains(".myqcloud.com")
            .times(0),
    );
    let m = mark(&env);
    c.upload_file(
        "parts.bin",
        qcos::transfer::UploadSource::File(&path),
        &qcos::transfer::UploadOptions::default(),
        None,
    )
    .expect("part 2 goes through the backup host");
    let parts: Vec<SeenRequest> = seen(&env, "upload_part", m);
    assert_eq!(parts.len(), 5, "{parts:?}");
    let backup: Vec<&SeenRequest> = parts.iter().filter(|r| r.host.ends_with(BACKUP)).collect();
    assert_eq!(backup.len(), 1, "only part 2's second send: {parts:?}");
    assert!(backup[0].sdk_retry);
    env.server.faults().clear();
    assert_eq!(get(&c, "parts.bin").unwrap(), data);
}
