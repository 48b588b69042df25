//! Decoding of placement blocks: `constraint`, `affinity`, `spread`,
//! including the operator shorthands (`version = ">= 1.2"`,
//! `distinct_hosts = true`, `distinct_property = "${meta.rack}"`, ...).

use hcl::edit::structure::{Attribute, Block, Structure};

use super::parse::{Ctx, Res, join};
use crate::structs::{Affinity, Constraint, Spread, SpreadTarget};

/// Shorthand keys that set the operator and take the value as `RTarget`.
const VALUE_SHORTHANDS: &[&str] = &[
    "version",
    "semver",
    "regexp",
    "set_contains",
    "set_contains_any",
    "set_contains_all",
];

/// The fields shared by constraints and affinities.
#[derive(Default)]
struct Rule {
    l_target: String,
    r_target: String,
    operand: String,
    weight: Option<i64>,
}

impl Ctx<'_> {
    fn rule_attrs<'b>(
        &self,
        b: &'b Block,
        path: &str,
        affinity: bool,
    ) -> Res<(Rule, Vec<&'b Attribute>)> {
        self.no_label(b, path)?;
        self.check_dups(&b.body, path)?;
        let mut rule = Rule::default();
        let mut attrs = Vec::new();
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => attrs.push(a),
                Structure::Block(inner) => return Err(self.unknown_block(inner, path)),
            }
        }
        for a in &attrs {
            let key = a.key.as_str();
            match key {
                "attribute" => rule.l_target = self.string(a, path)?,
                "value" => rule.r_target = self.string(a, path)?,
                "operator" => rule.operand = self.string(a, path)?,
                "weight" if affinity => rule.weight = Some(self.int(a, path)?),
                _ if VALUE_SHORTHANDS.contains(&key) => {
                    rule.operand = key.to_string();
                    rule.r_target = self.string(a, path)?;
                }
                "distinct_hosts" if !affinity => {
                    if self.boolean(a, path)? {
                        rule.operand = "distinct_hosts".into();
                        rule.r_target = "true".into();
                    }
                }
                "distinct_property" if !affinity => {
                    rule.operand = "distinct_property".into();
                    rule.l_target = self.string(a, path)?;
                }
                _ => return Err(self.unknown_attr(a, path)),
            }
        }
        Ok((rule, attrs))
    }

    pub(crate) fn decode_constraint(&mut self, b: &Block, path: &str) -> Res<Constraint> {
        self.record_block(path, b);
        // `distinct_property` keeps `value` (the limit) as RTarget.
        let (rule, _) = self.rule_attrs(b, path, false)?;
        Ok(Constraint {
            l_target: rule.l_target,
            r_target: rule.r_target,
            operand: rule.operand,
        })
    }

    pub(crate) fn decode_affinity(&mut self, b: &Block, path: &str) -> Res<Affinity> {
        self.record_block(path, b);
        let (rule, attrs) = self.rule_attrs(b, path, true)?;
        let weight = rule.weight.unwrap_or(50);
        let weight = i8::try_from(weight).map_err(|_| {
            let line = attrs
                .iter()
                .find(|a| a.key.as_str() == "weight")
                .map_or(self.block_line(b), |a| self.attr_line(a));
            self.bad(
                line,
                path,
                format!("Affinity weight must be within the range [-100,100], got {weight}"),
            )
        })?;
        Ok(Affinity {
            l_target: rule.l_target,
            r_target: rule.r_target,
            operand: rule.operand,
            weight,
        })
    }

    pub(crate) fn decode_spread(&mut self, b: &Block, path: &str) -> Res<Spread> {
        self.record_block(path, b);
        self.no_label(b, path)?;
        self.check_dups(&b.body, path)?;
        let mut s = Spread {
            weight: 50,
            ..Spread::default()
        };
        for item in b.body.iter() {
            match item {
                Structure::Attribute(a) => match a.key.as_str() {
                    "attribute" => s.attribute = self.string(a, path)?,
                    "weight" => {
                        let w = self.int(a, path)?;
                        s.weight = i8::try_from(w).map_err(|_| {
                            self.bad(
                                self.attr_line(a),
                                path,
                                format!("Spread weight must be within [0,100], got {w}"),
                            )
                        })?;
                    }
                    _ => return Err(self.unknown_attr(a, path)),
                },
                Structure::Block(inner) if inner.ident.as_str() == "target" => {
                    let value = self.label(inner, path)?;
                    let child = join(path, &format!("target {value:?}"));
                    self.check_dups(&inner.body, &child)?;
                    let mut target = SpreadTarget { value, percent: 0 };
                    for t in inner.body.iter() {
                        match t {
                            Structure::Attribute(a) if a.key.as_str() == "percent" => {
                                let p = self.int(a, &child)?;
                                target.percent = u8::try_from(p).map_err(|_| {
                                    self.bad(
                                        self.attr_line(a),
                                        &child,
                                        format!(
                                            "Spread target percent must be within [0,100], got {p}"
                                        ),
                                    )
                                })?;
                            }
                            Structure::Attribute(a) => return Err(self.unknown_attr(a, &child)),
                            Structure::Block(x) => return Err(self.unknown_block(x, &child)),
                        }
                    }
                    s.spread_target.push(target);
                }
                Structure::Block(inner) => return Err(self.unknown_block(inner, path)),
            }
        }
        Ok(s)
    }
}
