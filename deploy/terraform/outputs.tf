output "url" {
  description = "Where ASHapp answers (single host). Point domain_name's DNS at public_ip first when set."
  value       = var.platform == "ec2" ? (var.domain_name != null ? "https://${var.domain_name}" : "http://${aws_eip.host[0].public_dns}") : null
}

output "instance_id" {
  description = "EC2 instance id of the host (platform = \"ec2\")."
  value       = var.platform == "ec2" ? aws_instance.host[0].id : null
}

output "public_ip" {
  description = "Elastic IP of the host; the A record of domain_name."
  value       = var.platform == "ec2" ? aws_eip.host[0].public_ip : null
}

output "ssm_session_command" {
  description = "Shell on the host without SSH."
  value       = var.platform == "ec2" ? "aws ssm start-session --region ${var.region} --target ${aws_instance.host[0].id}" : null
}

output "bootstrap_log_command" {
  description = "Follow the bootstrap (k3s, ingress, monitoring, ASHapp) on the host."
  value       = var.platform == "ec2" ? "aws ssm start-session --region ${var.region} --target ${aws_instance.host[0].id} --document-name AWS-StartInteractiveCommand --parameters command='sudo tail -f /var/log/cloud-init-output.log'" : null
}

output "vpc_id" {
  description = "VPC in use (created or given)."
  value       = local.vpc_id
}

output "eks_cluster_name" {
  description = "EKS cluster name (platform = \"eks\")."
  value       = var.platform == "eks" ? aws_eks_cluster.this[0].name : null
}

output "eks_kubeconfig_command" {
  description = "Writes a kubeconfig for the EKS cluster (needs an access entry for your principal)."
  value       = var.platform == "eks" ? "aws eks update-kubeconfig --region ${var.region} --name ${aws_eks_cluster.this[0].name}" : null
}
