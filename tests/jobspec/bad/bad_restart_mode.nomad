# expect: Unsupported restart mode: "sometimes"
# line: 5
job "example" {
  group "cache" {
    restart { mode = "sometimes" }
    task "redis" { driver = "exec" }
  }
}
