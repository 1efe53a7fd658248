"""``{% barter_policies patient %}``: limit, spent and remaining of a patient's barter
policies, wherever the patient is shown (the statement, the patient's page, an appointment)."""

from django import template

from ..models import Policy
from ..services import figures

register = template.Library()


@register.inclusion_tag("barter/_patient_policies.html", takes_context=True)
def barter_policies(context, patient):
    user = context.get("user")
    if user is None or not user.has_perm("barter.view_policy"):
        return {"policies": []}
    policies = list(Policy.objects.filter(patient=patient).select_related("agreement"))
    for policy in policies:
        policy.figures = figures(policy)
    return {"policies": policies, "perms": context.get("perms")}
