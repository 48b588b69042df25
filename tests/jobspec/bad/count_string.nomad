# expect: count: expected a number, got string "three"
# line: 5
job "example" {
  group "cache" {
    count = "three"
    task "redis" { driver = "exec" }
  }
}
