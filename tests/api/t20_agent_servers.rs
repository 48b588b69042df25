//! `GET /v1/agent/servers`: a server lists the Raft peers' RPC addresses;
//! a client agent lists its configured servers.

use drover::agent::{AgentConfig, ClientAgent};
use drover::api_client::ApiClient;
use tokio::net::TcpListener;

use crate::common::TestCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_lists_its_raft_peers() {
    let c = TestCluster::start(1).await;
    let api = ApiClient::new(&[c.http[0].clone()]).expect("api client");
    let servers = api.agent_servers().await.expect("servers");
    assert_eq!(servers, vec![c.rpc[0].clone()]);
    let (_, peers) = c.get(0, "/v1/status/peers").await;
    assert_eq!(serde_json::json!(servers), peers);
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_agent_lists_its_configured_servers_sorted() {
    let c = TestCluster::start(1).await;
    let dir = tempfile::tempdir().expect("temp dir");
    // The cluster's server and one that does not answer (listed anyway:
    // these are the servers as configured).
    let configured = vec!["http://127.0.0.9:1".to_string(), c.http[0].clone()];
    let mut config = AgentConfig {
        client: true,
        data_dir: Some(dir.path().to_path_buf()),
        bind_addr: std::net::Ipv4Addr::LOCALHOST.into(),
        name: "client-1".into(),
        ..AgentConfig::default()
    };
    config.client_config.servers = configured.clone();
    let http = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let agent = ClientAgent::start_with_listener(config, http)
        .await
        .expect("client agent starts");
    let api = ApiClient::new(&[format!("http://{}", agent.http_addr)]).expect("api client");
    let servers = api.agent_servers().await.expect("servers");
    let mut expected = configured;
    expected.sort();
    assert_eq!(servers, expected);
    agent.shutdown().await;
    c.shutdown().await;
}
