//! qcos Rust quickstart: upload an object, list the bucket, download and check it,
//! delete it.
//!
//! Configuration comes from the environment (`Config::from_env`): COS_REGION,
//! COS_BUCKET, COS_SECRET_ID, COS_SECRET_KEY (required), COS_SECURITY_TOKEN,
//! COS_ENDPOINT (e.g. http://127.0.0.1:9000 for a local qcos-server).
//!
//! Run: `cargo run --example quickstart`

use qcos::{Body, Client, Config, GetObjectOptions, ListObjectsOptions, PutObjectOptions};

fn main() {
    let result = Config::from_env()
        .and_then(Client::new)
        .and_then(|client| run(&client));
    if let Err(e) = result {
        eprintln!("quickstart failed: {e}");
        if let Some(s) = e.service() {
            eprintln!(
                "  HTTP {}, Code {}, RequestId {}",
                s.http_status, s.code, s.request_id
            );
        }
        std::process::exit(1);
    }
}

/// The steps, on any client (the test suite runs them against qcos-server).
pub fn run(client: &Client) -> qcos::Result<()> {
    let key = "quickstart/hello-rust.txt";
    let text = b"Hello from the qcos Rust API!\n";

    // 1. Upload, with a content type and one metadata entry.
    let opts = PutObjectOptions {
        content_type: Some("text/plain".into()),
        meta: vec![("example".into(), "quickstart-rust".into())],
        ..Default::default()
    };
    let put = client.put_object(key, Body::Bytes(text), &opts)?;
    println!("uploaded {key} ({} bytes, ETag {})", text.len(), put.etag);

    // 2. List the objects under "quickstart/", page by page.
    let listing = ListObjectsOptions {
        prefix: "quickstart/".into(),
        ..Default::default()
    };
    for page in client.list_objects_pages(listing) {
        for o in page?.objects {
            println!("listed {} ({} bytes)", o.key, o.size);
        }
    }

    // 3. Download into memory and check the bytes (the CRC-64 is checked too).
    let mut body = Vec::new();
    client.get_object(key, &GetObjectOptions::default(), &mut body)?;
    if body != text {
        return Err(qcos::Error::Internal("downloaded bytes differ".into()));
    }
    println!("downloaded {} bytes: verified", body.len());

    // 4. Delete it; a HEAD now reports COS's 404.
    client.delete_object(key)?;
    println!("deleted {key}");
    match client.head_object(key, &GetObjectOptions::default()) {
        Err(e) => println!("as expected: {e}"),
        Ok(_) => return Err(qcos::Error::Internal("the object is still there".into())),
    }
    Ok(())
}
