# expect: job priority must be between [1, 100]
# line: 4
job "example" {
  priority = 101
  group "g" { task "t" { driver = "exec" } }
}
