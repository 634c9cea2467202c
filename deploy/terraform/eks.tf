# platform = "eks": a managed cluster for teams that outgrow one host. Nodes in private subnets (NAT
# needed), secrets encrypted with a dedicated KMS key, API endpoint private unless CIDRs are given,
# access managed by EKS access entries (no aws-auth ConfigMap). Apply the production overlay to it as the
# README says; the single-host bootstrap does not run here.

locals {
  eks = var.platform == "eks" ? 1 : 0
}

data "aws_iam_policy_document" "eks_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "eks_cluster" {
  count = local.eks

  name               = "${var.name}-eks-cluster"
  assume_role_policy = data.aws_iam_policy_document.eks_assume.json
}

resource "aws_iam_role_policy_attachment" "eks_cluster" {
  count = local.eks

  role       = aws_iam_role.eks_cluster[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

resource "aws_kms_key" "eks" {
  count = local.eks

  description         = "${var.name}: EKS secrets encryption"
  enable_key_rotation = true
}

resource "aws_eks_cluster" "this" {
  count = local.eks

  name                      = var.name
  version                   = var.eks_kubernetes_version
  role_arn                  = aws_iam_role.eks_cluster[0].arn
  enabled_cluster_log_types = ["api", "audit", "authenticator"]

  access_config {
    authentication_mode = "API"
  }

  vpc_config {
    subnet_ids              = local.private_subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = length(var.eks_public_access_cidrs) > 0
    public_access_cidrs     = length(var.eks_public_access_cidrs) > 0 ? var.eks_public_access_cidrs : null
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = aws_kms_key.eks[0].arn
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.private_subnet_ids) >= 2
      error_message = "EKS needs private subnets in at least two availability zones (availability_zone_count >= 2, or private_subnet_ids)."
    }
    precondition {
      condition     = !local.create_vpc || var.enable_nat_gateway
      error_message = "EKS nodes in the created private subnets need enable_nat_gateway = true."
    }
  }

  depends_on = [aws_iam_role_policy_attachment.eks_cluster]
}

data "aws_iam_policy_document" "eks_node_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "eks_node" {
  count = local.eks

  name               = "${var.name}-eks-node"
  assume_role_policy = data.aws_iam_policy_document.eks_node_assume.json
}

# The three AWS-managed policies EKS documents as the node minimum (node registration, the VPC CNI, image pulls).
resource "aws_iam_role_policy_attachment" "eks_node" {
  for_each = var.platform == "eks" ? toset(["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"]) : toset([])

  role       = aws_iam_role.eks_node[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.value}"
}

resource "aws_launch_template" "eks_node" {
  count = local.eks

  name_prefix = "${var.name}-eks-node-"

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size_gb
      encrypted             = true
      kms_key_id            = var.kms_key_arn
      delete_on_termination = true
    }
  }
}

resource "aws_eks_node_group" "this" {
  count = local.eks

  cluster_name    = aws_eks_cluster.this[0].name
  node_group_name = "${var.name}-default"
  node_role_arn   = aws_iam_role.eks_node[0].arn
  subnet_ids      = local.private_subnet_ids
  instance_types  = var.eks_node_instance_types

  launch_template {
    id      = aws_launch_template.eks_node[0].id
    version = aws_launch_template.eks_node[0].latest_version
  }

  scaling_config {
    min_size     = var.eks_node_count.min
    desired_size = var.eks_node_count.desired
    max_size     = var.eks_node_count.max
  }

  update_config {
    max_unavailable = 1
  }

  depends_on = [aws_iam_role_policy_attachment.eks_node]
}

# metrics-server for the HPAs, as an EKS add-on.
resource "aws_eks_addon" "metrics_server" {
  count = local.eks

  cluster_name = aws_eks_cluster.this[0].name
  addon_name   = "metrics-server"

  depends_on = [aws_eks_node_group.this]
}
