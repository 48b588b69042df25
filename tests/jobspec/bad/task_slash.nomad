# expect: Task name cannot include slashes
job "example" {
  group "g" { task "a/b" { driver = "exec" } }
}
