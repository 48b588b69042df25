//! The `topic=Topic:Key` and `namespace=` filters of a subscription, read
//! as Nomad's `parseEventTopics` does (a topic without a key is `Topic:*`;
//! no topic at all is `*:*`).

use std::collections::HashMap;

use super::Event;

/// What a subscriber asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicFilter {
    /// Topic (`*` for all) -> keys (`*` for all).
    topics: HashMap<String, Vec<String>>,
    /// `*` for every namespace.
    namespace: String,
}

/// A topic parameter that is not `Topic` or `Topic:Key`.
#[derive(Debug, thiserror::Error)]
#[error("Invalid key value pair for topic, topic: {0}")]
pub struct TopicFilterError(pub String);

impl TopicFilter {
    /// From the repeated `topic` values and the namespace (`None`:
    /// `default`).
    pub fn parse(topics: &[String], namespace: Option<&str>) -> Result<Self, TopicFilterError> {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        if topics.is_empty() {
            map.insert("*".into(), vec!["*".into()]);
        }
        for t in topics {
            let parts: Vec<&str> = t.split(':').collect();
            let (topic, key) = match parts.as_slice() {
                [topic] => (*topic, "*"),
                [topic, key] => (*topic, *key),
                _ => return Err(TopicFilterError(t.clone())),
            };
            map.entry(topic.to_string())
                .or_default()
                .push(key.to_string());
        }
        Ok(TopicFilter {
            topics: map,
            namespace: namespace.unwrap_or("default").to_string(),
        })
    }

    /// Whether `e` passes: its topic (or `*`) lists `*`, its key or one of
    /// its filter keys; and its namespace is asked for (events without
    /// one, such as nodes', always pass).
    pub fn matches(&self, e: &Event) -> bool {
        if !(self.namespace == "*" || e.namespace.is_empty() || e.namespace == self.namespace) {
            return false;
        }
        [e.topic, "*"].iter().any(|t| {
            self.topics.get(*t).is_some_and(|keys| {
                keys.iter()
                    .any(|k| k == "*" || *k == e.key || e.filter_keys.iter().any(|f| f == k))
            })
        })
    }
}
