//! Decoding of `resources`, `network` and `port` blocks.

use hcl::edit::structure::{Block, Structure};

use super::freeform::DNS;
use super::parse::{Ctx, Res, join};
use crate::structs::{NetworkResource, Port, Resources};

impl Ctx<'_> {
    pub(crate) fn decode_resources(&mut self, b: &Block, path: &str) -> Res<Resources> {
        self.no_label(b, path)?;
        self.check_dups(&b.body, path)?;
        self.record_block(path, b);
        let mut r = Resources::default();
        let mut has_network = false;
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => match a.key.as_str() {
                    "cpu" => {
                        r.cpu = self.int(a, path)?;
                        r.given_zero.cpu = r.cpu == 0;
                    }
                    "cores" => r.cores = self.int(a, path)?,
                    "memory" => {
                        r.memory_mb = self.int(a, path)?;
                        r.given_zero.memory = r.memory_mb == 0;
                    }
                    "memory_max" => r.memory_max_mb = self.int(a, path)?,
                    "disk" => r.disk_mb = self.int(a, path)?,
                    "iops" => r.iops = self.int(a, path)?,
                    _ => return Err(self.unknown_attr(a, path)),
                },
                Structure::Block(inner) if inner.ident.as_str() == "network" => {
                    if has_network {
                        return Err(self.bad(
                            self.block_line(inner),
                            path,
                            "only one \"network\" block is allowed",
                        ));
                    }
                    has_network = true;
                    let child = join(path, "network");
                    r.networks.push(self.decode_network(inner, &child, false)?);
                }
                Structure::Block(inner) => return Err(self.unknown_block(inner, path)),
            }
        }
        Ok(r)
    }

    /// A `network` block; `group` tells the group form (which has `mode`,
    /// `hostname` and `dns`) from the task-level one.
    pub(crate) fn decode_network(
        &mut self,
        b: &Block,
        path: &str,
        group: bool,
    ) -> Res<NetworkResource> {
        self.no_label(b, path)?;
        self.check_dups(&b.body, path)?;
        self.record_block(path, b);
        let mut n = NetworkResource::default();
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => match a.key.as_str() {
                    "mbits" => n.mbits = self.int(a, path)?,
                    "mode" if group => n.mode = self.string(a, path)?,
                    "hostname" if group => n.hostname = self.string(a, path)?,
                    _ => return Err(self.unknown_attr(a, path)),
                },
                Structure::Block(inner) => match inner.ident.as_str() {
                    "port" => {
                        let port = self.decode_port(inner, path)?;
                        if port.value != 0 {
                            n.reserved_ports.push(port);
                        } else {
                            n.dynamic_ports.push(port);
                        }
                    }
                    "dns" if group => {
                        let child = join(path, "dns");
                        n.dns = Some(self.json_block(inner, &child, DNS, true)?);
                    }
                    _ => return Err(self.unknown_block(inner, path)),
                },
            }
        }
        Ok(n)
    }

    fn decode_port(&mut self, b: &Block, network_path: &str) -> Res<Port> {
        let label = self.label(b, network_path)?;
        let path = join(network_path, &format!("port {label:?}"));
        self.check_dups(&b.body, &path)?;
        self.record_block(&path, b);
        let mut p = Port {
            label,
            ..Port::default()
        };
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => match a.key.as_str() {
                    "static" => p.value = self.int(a, &path)?,
                    "to" => p.to = self.int(a, &path)?,
                    "host_network" => p.host_network = self.string(a, &path)?,
                    _ => return Err(self.unknown_attr(a, &path)),
                },
                Structure::Block(inner) => return Err(self.unknown_block(inner, &path)),
            }
        }
        Ok(p)
    }
}
