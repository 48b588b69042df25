//! Reads of the service registrations table.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use imbl::OrdSet;

use super::State;
use super::keys::ServiceKey;
use crate::structs::ServiceRegistration;

/// The keys of the index entries under `first`, and (when `namespace` is
/// not `*`) in `namespace`.
pub(crate) fn keys_under<'a>(
    set: &'a OrdSet<(String, ServiceKey)>,
    first: &'a str,
    namespace: &'a str,
) -> impl Iterator<Item = &'a ServiceKey> + 'a {
    let start_ns = if namespace == "*" { "" } else { namespace };
    set.range((first.to_string(), ServiceKey::new(start_ns, ""))..)
        .take_while(move |(f, k)| f == first && (namespace == "*" || k.namespace == namespace))
        .map(|(_, k)| k)
}

/// One namespace's service names, each with the union of its instances'
/// tags, sorted.
pub type ServiceNames = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

impl State {
    pub fn service_registration(
        &self,
        namespace: &str,
        id: &str,
    ) -> Option<Arc<ServiceRegistration>> {
        self.services.get(&ServiceKey::new(namespace, id)).cloned()
    }

    /// The instances of service `name` in `namespace` (`*`: all), in
    /// (namespace, ID) order.
    pub fn service_registrations(
        &self,
        namespace: &str,
        name: &str,
    ) -> Vec<Arc<ServiceRegistration>> {
        self.lookup(keys_under(&self.services_by_name, name, namespace))
    }

    /// The registrations of allocation `alloc_id`.
    pub fn service_registrations_by_alloc(&self, alloc_id: &str) -> Vec<Arc<ServiceRegistration>> {
        self.lookup(keys_under(&self.services_by_alloc, alloc_id, "*"))
    }

    /// The registrations of allocations on node `node_id`.
    pub fn service_registrations_by_node(&self, node_id: &str) -> Vec<Arc<ServiceRegistration>> {
        self.lookup(keys_under(&self.services_by_node, node_id, "*"))
    }

    /// Per namespace (`*`: all), the service names and their tags.
    pub fn service_names(&self, namespace: &str) -> ServiceNames {
        let mut out = ServiceNames::new();
        for reg in self.services.values() {
            if namespace != "*" && reg.namespace != namespace {
                continue;
            }
            out.entry(reg.namespace.clone())
                .or_default()
                .entry(reg.service_name.clone())
                .or_default()
                .extend(reg.tags.iter().cloned());
        }
        out
    }

    /// Every registration, in (namespace, ID) order.
    pub fn all_service_registrations(&self) -> impl Iterator<Item = &Arc<ServiceRegistration>> {
        self.services.values()
    }

    /// How many registrations are stored.
    pub fn service_registrations_count(&self) -> usize {
        self.services.len()
    }

    fn lookup<'a>(
        &self,
        keys: impl Iterator<Item = &'a ServiceKey>,
    ) -> Vec<Arc<ServiceRegistration>> {
        keys.filter_map(|k| self.services.get(k).cloned()).collect()
    }
}
