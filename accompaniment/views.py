from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


@login_required
def beneficiary_list(request):
    return HttpResponse("todo")


@login_required
def unassigned_queue(request):
    return HttpResponse("todo")
