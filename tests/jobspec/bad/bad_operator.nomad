# expect: Unknown constraint type "~="
# line: 6
job "example" {
  constraint {
    attribute = "${attr.kernel.name}"
    operator  = "~="
    value     = "linux"
  }
  group "g" { task "t" { driver = "exec" } }
}
