resource "aws_security_group" "host" {
  count = var.platform == "ec2" ? 1 : 0

  name        = "${var.name}-host"
  description = "ASHapp host: HTTPS (and HTTP for the redirect) from anywhere, SSH only from given CIDRs"
  vpc_id      = local.vpc_id

  tags = { Name = "${var.name}-host" }
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  for_each = var.platform == "ec2" ? toset(["0.0.0.0/0", "::/0"]) : toset([])

  security_group_id = aws_security_group.host[0].id
  description       = "HTTPS"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = strcontains(each.value, ":") ? null : each.value
  cidr_ipv6         = strcontains(each.value, ":") ? each.value : null
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  for_each = var.platform == "ec2" ? toset(["0.0.0.0/0", "::/0"]) : toset([])

  security_group_id = aws_security_group.host[0].id
  description       = "HTTP, redirected to HTTPS by the ingress controller (and ACME challenges)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = strcontains(each.value, ":") ? null : each.value
  cidr_ipv6         = strcontains(each.value, ":") ? each.value : null
}

# Off by default: with no CIDRs there is no rule at all. Operators use SSM Session Manager instead.
resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each = var.platform == "ec2" ? toset(var.ssh_ingress_cidrs) : toset([])

  security_group_id = aws_security_group.host[0].id
  description       = "SSH from an allowed network"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = strcontains(each.value, ":") ? null : each.value
  cidr_ipv6         = strcontains(each.value, ":") ? each.value : null
}

# Outbound: images, AWS APIs, Git, package mirrors and Let's Encrypt live at addresses that change, so
# egress stays open at the security group; the cluster's NetworkPolicies restrict what each pod may reach.
resource "aws_vpc_security_group_egress_rule" "all" {
  for_each = var.platform == "ec2" ? toset(["0.0.0.0/0", "::/0"]) : toset([])

  security_group_id = aws_security_group.host[0].id
  description       = "Outbound"
  ip_protocol       = "-1"
  cidr_ipv4         = strcontains(each.value, ":") ? null : each.value
  cidr_ipv6         = strcontains(each.value, ":") ? each.value : null
}
