# expect: unsupported argument "region"
# line: 3
region = "global"
job "example" {
  group "g" { task "t" { driver = "exec" } }
}
