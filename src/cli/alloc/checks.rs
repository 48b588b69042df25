//! The `Services` section of `alloc status`: each registration of the
//! allocation with its address and each check's status.

use drover::structs::ServiceRegistration;

use crate::cli::common::table;

/// `Service|Address|Check|Type|Status` rows; a service without checks
/// shows one row with empty check cells. None when there is nothing.
pub fn section(regs: &[ServiceRegistration]) -> Option<String> {
    if regs.is_empty() {
        return None;
    }
    let mut rows = vec!["Service|Address|Check|Type|Status".to_string()];
    for r in regs {
        let addr = format!("{}:{}", r.address, r.port);
        if r.checks.is_empty() {
            rows.push(format!("{}|{addr}||||", r.service_name));
        }
        for c in &r.checks {
            rows.push(format!(
                "{}|{addr}|{}|{}|{}",
                r.service_name, c.name, c.kind, c.status
            ));
        }
    }
    Some(format!("Services:\n{}", table::list(&rows)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use drover::structs::CheckStatus;

    #[test]
    fn a_service_with_its_check() {
        let r = ServiceRegistration {
            service_name: "global-redis-check".into(),
            address: "127.0.1.3".into(),
            port: 22655,
            checks: vec![CheckStatus {
                name: "alive".into(),
                kind: "tcp".into(),
                status: "passing".into(),
                output: String::new(),
            }],
            ..ServiceRegistration::default()
        };
        assert_eq!(
            section(&[r]).unwrap_or_default(),
            "Services:\nService             Address          Check  Type  Status\n\
             global-redis-check  127.0.1.3:22655  alive  tcp   passing"
        );
        assert_eq!(section(&[]), None);
    }
}
