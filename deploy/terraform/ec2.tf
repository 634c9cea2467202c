# Amazon Linux 2023: SSM agent preinstalled, supported by k3s. Looked up, never hard-coded; the instance
# ignores later AMI releases so a re-apply does not replace the host (patch with dnf, or taint on purpose).
data "aws_ami" "al2023" {
  most_recent = true
  owners      = ["amazon"]

  filter {
    name   = "name"
    values = ["al2023-ami-2023.*-kernel-*-${var.architecture}"]
  }

  filter {
    name   = "architecture"
    values = [var.architecture]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

locals {
  # KEY=value lines the bootstrap reads (it never sources them); every value passed Terraform validation.
  bootstrap_env = join("\n", [
    "ASHAPP_REPOSITORY_URL=${var.ashapp_repository_url}",
    "ASHAPP_REF=${var.ashapp_ref}",
    "ASHAPP_IMAGE_REGISTRY=${var.image_registry}",
    "ASHAPP_IMAGE_TAG=${var.image_tag}",
    "ASHAPP_DOMAIN=${coalesce(var.domain_name, "-")}",
    "ASHAPP_ACME_EMAIL=${coalesce(var.acme_email, "-")}",
    "ASHAPP_SIGN_IN_ALLOWED_ACCOUNTS=${join(",", var.sign_in_allowed_accounts)}",
    "ASHAPP_IN_CLUSTER_DATABASES=${var.enable_in_cluster_databases}",
    "K3S_VERSION=${var.k3s_version}",
    "",
  ])

  user_data = templatefile("${path.module}/templates/cloud-init.yaml.tftpl", {
    bootstrap_script_b64 = base64encode(file("${path.module}/scripts/bootstrap.sh"))
    bootstrap_env_b64    = base64encode(local.bootstrap_env)
  })
}

resource "aws_instance" "host" {
  count = var.platform == "ec2" ? 1 : 0

  ami                    = data.aws_ami.al2023.id
  instance_type          = var.instance_type
  subnet_id              = local.public_subnet_ids[0]
  vpc_security_group_ids = [aws_security_group.host[0].id]
  iam_instance_profile   = aws_iam_instance_profile.host[0].name
  key_name               = var.ssh_key_name
  ebs_optimized          = true
  monitoring             = true
  user_data              = local.user_data

  metadata_options {
    http_endpoint = "enabled"
    # IMDSv2 only; one hop, so containers (one hop further) cannot reach the node's credentials.
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size_gb
    encrypted             = true
    kms_key_id            = var.kms_key_arn
    delete_on_termination = true
  }

  lifecycle {
    ignore_changes = [ami]

    precondition {
      condition     = length(local.public_subnet_ids) > 0
      error_message = "The host needs a public subnet: set public_subnet_ids with an existing vpc_id."
    }
  }

  tags = { Name = "${var.name}-host" }
}

resource "aws_eip" "host" {
  count = var.platform == "ec2" ? 1 : 0

  domain   = "vpc"
  instance = aws_instance.host[0].id
  tags     = { Name = "${var.name}-host" }

  depends_on = [aws_internet_gateway.this]
}
