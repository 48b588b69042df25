# expect: Invalid job type: "daemon"
# line: 4
job "example" {
  type = "daemon"
  group "g" { task "t" { driver = "exec" } }
}
