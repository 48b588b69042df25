# expect: unsupported argument "max_paralel"
# line: 4
job "example" {
  update { stagger = "10s"  max_paralel = 1 }
  group "g" { task "t" { driver = "exec" } }
}
